//! One test per SXS rule, each on a fixture under `fixtures/sxs/`, asserting the behaviour the rule
//! states (the snapshots in `actctx.rs` show the whole picture).

use std::path::PathBuf;

use comsim_manifest::actctx::{
    ActivationContext, ContextError, FsDirectory, ProbeOutcome, build_context,
};
use comsim_manifest::lookup::{
    FLAG_IS_CLASS, FLAG_IS_SURROGATE, Find, RegistrationKind, RuntimeAsked, ShimMiss,
    clr_class_also_com_class, find_com_server, find_shim_info, sxs_lookup_clr_guid,
};
use comsim_manifest::{Guid, parse_manifest};

const WIDGET: &str = "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}";
const SURROGATE: &str = "{FDB46CA5-9477-4528-B4B2-7F00A254CDEA}";

fn case(name: &str) -> Result<ActivationContext, ContextError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/sxs")
        .join(name);
    let shown = format!("fixtures/sxs/{name}");
    let app = parse_manifest(
        &format!("{shown}/app.manifest"),
        &std::fs::read(dir.join("app.manifest")).unwrap(),
    )
    .unwrap();
    build_context(app, &FsDirectory::new(dir, shown))
}

fn guid(s: &str) -> Guid {
    Guid::parse(s).unwrap()
}

#[test]
fn sxs1_the_context_holds_the_application_manifest_then_its_dependencies() {
    let ctx = case("dependency-chain-first-clsid-wins").unwrap();
    let names: Vec<_> = ctx
        .assemblies
        .iter()
        .map(|a| a.manifest.identity.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(
        names,
        ["Contoso.App", "Contoso.Widgets.Asm", "Contoso.Core"]
    );
    assert_eq!(ctx.assemblies[0].roster_index, 1);
}

#[test]
fn sxs2_probes_four_candidates_in_order_and_fails_with_14001() {
    let err = case("not-found").unwrap_err();
    assert_eq!(err.win32_error, 14001);
    let paths: Vec<_> = err
        .probes
        .iter()
        .map(|p| p.path.rsplit("not-found/").next().unwrap().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "Contoso.Widgets.Asm.dll",
            "Contoso.Widgets.Asm.manifest",
            "Contoso.Widgets.Asm/Contoso.Widgets.Asm.dll",
            "Contoso.Widgets.Asm/Contoso.Widgets.Asm.manifest"
        ]
    );
}

#[test]
fn sxs2_the_first_file_found_decides_even_when_a_later_one_would_match() {
    // name.manifest holds version 1.2.3.5; name\name.manifest (later) holds the right 1.2.3.4.
    let err = case("version-mismatch").unwrap_err();
    assert!(matches!(
        err.probes.last().unwrap().outcome,
        ProbeOutcome::Mismatch { .. }
    ));
    assert_eq!(err.probes.len(), 2);
    // A DLL named after the assembly without resource 1 stops the search before the .manifest.
    let err = case("dll-without-resource-1-stops-the-search").unwrap_err();
    assert!(matches!(
        err.probes[0].outcome,
        ProbeOutcome::NoEmbeddedManifest { .. }
    ));
}

#[test]
fn sxs2_identities_match_case_insensitively_and_optional_dependencies_may_be_missing() {
    assert!(case("case-insensitive-match").is_ok());
    assert_eq!(case("optional-not-found").unwrap().assemblies.len(), 1);
}

#[test]
fn sxs3_clr_classes_and_surrogates_come_from_component_manifests() {
    let ctx = case("seed003-surrogate-and-class").unwrap();
    let m = &ctx.assemblies[1].manifest;
    assert_eq!(m.clr_classes[0].name, "MySampleClass");
    assert_eq!(m.clr_surrogates[0].name, "MySampleSurrogate");
}

/// SXS-3: a CLSID one manifest declares as both a clrClass and a comClass is found (the
/// resolver's `sxs-duplicate-clsid` decides what it does); the same CLSID in two manifests, or two
/// clrClass entries, is not such a case.
#[test]
fn sxs3_a_clsid_declared_as_clr_class_and_com_class_in_one_manifest_is_found() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/conformance/sxs/cases/native-and-clrclass-same-assembly");
    let app = parse_manifest(
        "app.manifest",
        &std::fs::read(dir.join("app.manifest")).unwrap(),
    )
    .unwrap();
    let ctx = build_context(app, &FsDirectory::new(dir, "case")).unwrap();
    let twice = clr_class_also_com_class(&ctx).expect("declared twice");
    assert_eq!(twice.clsid, guid("{A1B2C3D4-0001-4000-8000-00000000C001}"));
    assert_eq!(twice.source, ctx.assemblies[0].source);
    assert!(twice.com_class.line < twice.clr_class.line);
    // The first COM server entry is the clrClass, as Wine builds the section.
    let server = find_com_server(&ctx, twice.clsid).unwrap();
    assert_eq!(server.managed_type.as_deref(), Some("Managed.First"));

    let other = case("dependency-chain-first-clsid-wins").unwrap();
    assert_eq!(clr_class_also_com_class(&other), None);
}

#[test]
fn sxs4_find_any_returns_the_surrogate_first_and_reports_the_textual_identity() {
    let ctx = case("surrogate-and-class-share-a-guid").unwrap();
    let any = sxs_lookup_clr_guid(&ctx, guid(WIDGET), Find::Any).unwrap();
    assert_eq!(any.flags, FLAG_IS_SURROGATE);
    let class = sxs_lookup_clr_guid(&ctx, guid(WIDGET), Find::Class).unwrap();
    assert_eq!(
        (class.flags, class.type_name.as_str()),
        (FLAG_IS_CLASS, "Contoso.Widget")
    );
    assert_eq!(
        class.assembly_identity,
        r#"Contoso.Widgets.Asm,processorArchitecture="msil",publicKeyToken="0123456789abcdef",version="1.2.3.4""#
    );
}

#[test]
fn sxs5_a_surrogate_hit_fails_when_a_runtime_version_is_asked_for() {
    let ctx = case("surrogate-and-class-share-a-guid").unwrap();
    assert!(matches!(
        find_shim_info(
            &ctx,
            guid(WIDGET),
            RegistrationKind::Class,
            RuntimeAsked::Yes
        ),
        Err(ShimMiss::SurrogateWithRuntimeRequest { .. })
    ));
    assert!(
        find_shim_info(
            &ctx,
            guid(WIDGET),
            RegistrationKind::Class,
            RuntimeAsked::No
        )
        .is_ok()
    );
}

#[test]
fn sxs6_an_empty_type_name_fails_and_a_missing_runtime_version_reads_v1_0_3705() {
    let ctx = case("empty-type-name-and-missing-runtime").unwrap();
    assert!(matches!(
        find_shim_info(
            &ctx,
            guid(WIDGET),
            RegistrationKind::Class,
            RuntimeAsked::No
        ),
        Err(ShimMiss::EmptyTypeName { .. })
    ));
    let info = find_shim_info(
        &ctx,
        guid("{11111111-1111-1111-1111-111111111111}"),
        RegistrationKind::Class,
        RuntimeAsked::No,
    )
    .unwrap();
    assert_eq!(info.runtime_version, "v1.0.3705");
}

#[test]
fn sxs7_the_clr_binds_the_fusion_display_name_of_the_hosting_assembly() {
    let ctx = case("found-beside-app").unwrap();
    let info = find_shim_info(
        &ctx,
        guid(WIDGET),
        RegistrationKind::Class,
        RuntimeAsked::No,
    )
    .unwrap();
    assert_eq!(
        info.assembly,
        r#"contoso.widgets.asm,processorarchitecture="msil",publickeytoken="0123456789abcdef",version="1.2.3.4",culture=neutral"#
    );
}

#[test]
fn sxs8_a_clr_surrogate_hit_is_a_registration_free_pia_and_records_ask_for_surrogates_only() {
    let ctx = case("seed003-surrogate-and-class").unwrap();
    assert!(
        find_shim_info(
            &ctx,
            guid(SURROGATE),
            RegistrationKind::Class,
            RuntimeAsked::No
        )
        .unwrap()
        .is_surrogate
    );
    assert!(
        find_shim_info(
            &ctx,
            guid(SURROGATE),
            RegistrationKind::Record,
            RuntimeAsked::No
        )
        .unwrap()
        .is_surrogate
    );
    assert!(matches!(
        find_shim_info(
            &ctx,
            guid("{19F7F420-4CC5-4B0D-8A82-C24645C0BA1F}"),
            RegistrationKind::Record,
            RuntimeAsked::No
        ),
        Err(ShimMiss::NotFound {
            find: Find::Surrogate
        })
    ));
}

#[test]
fn com1_the_context_serves_managed_classes_through_mscoree_and_native_ones_through_their_file() {
    let ctx = case("dependency-chain-first-clsid-wins").unwrap();
    let managed = find_com_server(&ctx, guid(WIDGET)).unwrap();
    // Two assemblies declare the CLSID: the first in roster order wins.
    assert_eq!(
        (managed.module.as_str(), managed.managed_type.as_deref()),
        ("mscoree.dll", Some("Contoso.Widget"))
    );
    let native = find_com_server(&ctx, guid("{33333333-3333-3333-3333-333333333333}")).unwrap();
    assert_eq!(native.module, "ContosoNative.dll");
    assert_eq!(
        comsim_manifest::lookup::find_progid(&ctx, "contoso.native.1")
            .unwrap()
            .clsid,
        native.clsid
    );
}
