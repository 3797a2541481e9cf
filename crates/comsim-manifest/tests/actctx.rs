//! One snapshot per directory under `fixtures/sxs/`: the directory stands for the application
//! directory, `app.manifest` for the application manifest. The snapshot shows the activation
//! context (SXS-1, SXS-2: roster and every probe) or the 14001 failure, then every lookup the
//! context answers for each GUID it holds (SXS-4..SXS-8, COM-1).

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

use comsim_manifest::actctx::{FsDirectory, build_context};
use comsim_manifest::lookup::{
    Find, RegistrationKind, RuntimeAsked, find_com_server, find_shim_info, sxs_lookup_clr_guid,
};
use comsim_manifest::{Guid, parse_manifest};

fn render(dir: &Path) -> String {
    let case = dir.file_name().unwrap().to_string_lossy().into_owned();
    let shown = format!("fixtures/sxs/{case}");
    let app_path = format!("{shown}/app.manifest");
    let app = parse_manifest(&app_path, &std::fs::read(dir.join("app.manifest")).unwrap())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = String::new();
    let ctx = match build_context(app, &FsDirectory::new(dir, shown)) {
        Ok(ctx) => ctx,
        Err(e) => {
            writeln!(out, "context: error {} ({})", e.win32_error, e.message).unwrap();
            writeln!(
                out,
                "reference: {}\nreason: {}\nprobes:",
                e.reference, e.reason
            )
            .unwrap();
            for p in &e.probes {
                writeln!(out, "  {} -> {:?}", p.path, p.outcome).unwrap();
            }
            return out;
        }
    };
    writeln!(out, "context: ok\nroster:").unwrap();
    for a in &ctx.assemblies {
        let id = a.textual_identity();
        writeln!(out, "  {} {} ({id})", a.roster_index, a.source).unwrap();
    }
    writeln!(out, "probes:").unwrap();
    for p in &ctx.probes {
        writeln!(out, "  {} -> {:?}", p.path, p.outcome).unwrap();
    }
    let mut guids: BTreeSet<Guid> = BTreeSet::new();
    for a in &ctx.assemblies {
        guids.extend(a.manifest.clr_classes.iter().map(|c| c.clsid));
        guids.extend(a.manifest.clr_surrogates.iter().map(|s| s.clsid));
        guids.extend(
            a.manifest
                .files
                .iter()
                .flat_map(|f| f.com_classes.iter().map(|c| c.clsid)),
        );
    }
    guids.insert(Guid::parse("{00000000-0000-0000-0000-00000000BEEF}").unwrap());
    for g in guids {
        writeln!(out, "{g}").unwrap();
        for find in [Find::Any, Find::Class, Find::Surrogate] {
            match sxs_lookup_clr_guid(&ctx, g, find) {
                Some(i) => writeln!(
                    out,
                    "  SxsLookupClrGuid {find:?}: flags={} runtime={:?} type={:?} identity={}",
                    i.flags, i.runtime_version, i.type_name, i.assembly_identity
                ),
                None => writeln!(out, "  SxsLookupClrGuid {find:?}: not found"),
            }
            .unwrap();
        }
        for (kind, runtime, what) in [
            (RegistrationKind::Class, RuntimeAsked::No, "class"),
            (
                RegistrationKind::Class,
                RuntimeAsked::Yes,
                "class, runtime asked",
            ),
            (RegistrationKind::Record, RuntimeAsked::No, "record"),
        ] {
            match find_shim_info(&ctx, g, kind, runtime) {
                Ok(s) => writeln!(
                    out,
                    "  shim info ({what}): class={} assembly={} runtime={} pia={}",
                    s.class_name, s.assembly, s.runtime_version, s.is_surrogate
                ),
                Err(m) => writeln!(out, "  shim info ({what}): miss {m:?}"),
            }
            .unwrap();
        }
        match find_com_server(&ctx, g) {
            Some(s) => writeln!(
                out,
                "  com server: {} {:?} progids={:?} from {}",
                s.module, s.threading_model, s.progids, s.source
            ),
            None => writeln!(out, "  com server: none"),
        }
        .unwrap();
    }
    out
}

#[test]
fn sxs_activation_contexts_and_lookups() {
    insta::glob!("../../../fixtures", "sxs/*/app.manifest", |path| {
        insta::assert_snapshot!(render(path.parent().unwrap()));
    });
}
