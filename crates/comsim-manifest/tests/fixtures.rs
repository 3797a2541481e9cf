//! One snapshot per manifest fixture: malformed manifests give a located error (never a panic);
//! valid ones show what was read (SXS-3) and the identity text (SXS-4, SXS-7).

use std::path::Path;

use comsim_manifest::identity::{textual_identity, win32_to_fusion_display_name};
use comsim_manifest::parse_manifest;

fn display_name(path: &Path) -> String {
    let parts: Vec<_> = path.components().rev().take(3).collect();
    let parts: Vec<_> = parts
        .iter()
        .rev()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    format!("fixtures/{}", parts.join("/"))
}

#[test]
fn invalid_manifests_give_a_located_error() {
    insta::glob!(
        "../../../fixtures",
        "manifests/invalid/*.manifest",
        |path| {
            let name = display_name(path);
            let err = parse_manifest(&name, &std::fs::read(path).unwrap())
                .expect_err("an invalid manifest must not parse");
            let loc = err.location.clone().expect("errors name a location");
            assert_eq!(&*loc.file, name.as_str());
            insta::assert_snapshot!(err.to_string());
        }
    );
}

#[test]
fn sxs3_valid_manifests_parse() {
    insta::glob!("../../../fixtures", "manifests/valid/*.manifest", |path| {
        let name = display_name(path);
        let m =
            parse_manifest(&name, &std::fs::read(path).unwrap()).unwrap_or_else(|e| panic!("{e}"));
        let identity = m.identity.as_ref().map(|i| {
            let t = textual_identity(i);
            format!(
                "textual identity (SXS-4): {t}\nfusion display name (SXS-7): {}",
                win32_to_fusion_display_name(&t)
            )
        });
        let json = serde_json::to_string_pretty(&m).unwrap();
        insta::assert_snapshot!(format!(
            "{}\n\n{json}",
            identity.unwrap_or_else(|| "no identity".into())
        ));
    });
}
