//! Pathological manifests (docs/reliability.md): each is handled in linear time. The sizes make
//! the former quadratic behaviour take minutes, and the linear one a fraction of a second.

use comsim_manifest::actctx::{AppDirectory, build_context};
use comsim_manifest::parse_manifest_str;

const ASM_V1: &str = "urn:schemas-microsoft-com:asm.v1";

/// SXS-3: a manifest written on one line, 2,000 `<file>` elements with a class each, is parsed
/// and every element located at its own column, each lookup counting at most two checkpoint
/// blocks of the line (`comsim_diag::line_index_work`): counted, not timed. Counting each column
/// from the start of the line counts about 100,000 bytes per lookup here and fails the bound
/// (it took 72 s for 100,000 elements in a release build).
#[test]
fn sxs3_a_manifest_on_one_long_line_is_located_in_linear_time() {
    let head = format!(r#"<assembly xmlns="{ASM_V1}" manifestVersion="1.0">"#);
    let mut text = head.clone();
    let element = |i: usize| {
        format!(
            r#"<file name="f{i:05}.dll"><comClass clsid="{{C1A55000-0000-4000-8000-{i:012X}}}"/></file>"#
        )
    };
    let n = 2_000;
    for i in 0..n {
        text.push_str(&element(i));
    }
    text.push_str("</assembly>");
    let (lookups0, bytes0) = comsim_diag::line_index_work();
    let m = parse_manifest_str("one-line.manifest", &text).unwrap_or_else(|e| panic!("{e}"));
    let (lookups, bytes) = comsim_diag::line_index_work();
    let (lookups, bytes) = (lookups - lookups0, bytes - bytes0);
    assert!(
        lookups >= 2 * n as u64,
        "{lookups} lookups: not located through LineIndex"
    );
    let bound = lookups * 2 * comsim_diag::CHECKPOINT_BYTES as u64;
    assert!(
        bytes <= bound,
        "{bytes} bytes counted for {lookups} lookups"
    );
    assert_eq!(m.files.len(), n);
    let width = element(0).len();
    for (i, f) in m.files.iter().enumerate().step_by(997) {
        assert_eq!(f.location.line, 1);
        assert_eq!(f.location.column as usize, head.len() + i * width + 1);
    }
}

/// An application directory holding nothing, that counts what the loader asks of it.
struct Empty {
    reads: std::cell::Cell<usize>,
}

impl AppDirectory for Empty {
    fn read(&self, _: &str) -> Option<Vec<u8>> {
        self.reads.set(self.reads.get() + 1);
        None
    }

    fn show(&self, relative: &str) -> String {
        relative.to_owned()
    }
}

/// SXS-2: an application manifest with 5,000 optional dependencies that do not exist: each is
/// probed once at its four places, and the context holds the application alone. The identities
/// already probed are a set; scanning a list of them for each dependency took 70 s for 100,000.
#[test]
fn sxs2_many_missing_dependencies_are_probed_in_linear_time() {
    let n = 5_000;
    let mut text = format!(
        "<assembly xmlns=\"{ASM_V1}\" manifestVersion=\"1.0\">\n<assemblyIdentity name=\"App\" version=\"1.0.0.0\"/>\n"
    );
    // Every reference twice: the second time it was probed already, so it is not probed again.
    for i in (0..2 * n).map(|k| k % n) {
        text.push_str(&format!(
            "<dependency optional=\"yes\"><dependentAssembly><assemblyIdentity name=\"Missing{i}\" version=\"1.0.0.0\"/></dependentAssembly></dependency>\n"
        ));
    }
    text.push_str("</assembly>\n");
    let app = parse_manifest_str("App.exe.manifest", &text).unwrap_or_else(|e| panic!("{e}"));
    let dir = Empty {
        reads: std::cell::Cell::new(0),
    };
    let ctx = build_context(app, &dir).unwrap_or_else(|e| panic!("{}", e.reason));
    assert_eq!(ctx.assemblies.len(), 1);
    assert_eq!(ctx.probes.len(), 4 * n);
    assert_eq!(dir.reads.get(), 4 * n);
}

/// docs/reliability.md: more than 128 namespace declarations in scope, and elements nested more
/// than 65,535 deep, are errors at the element that crossed the limit, in XML's terms.
#[test]
fn xml_limits_are_located_at_the_element_in_the_users_terms() {
    let decls: String = (0..129)
        .map(|i| format!(" xmlns:p{i}=\"urn:x{i}\""))
        .collect();
    let text = format!(
        "<assembly xmlns=\"{ASM_V1}\" manifestVersion=\"1.0\">\n  <file name=\"a.dll\"{decls}/>\n</assembly>\n"
    );
    let e = parse_manifest_str("ns.manifest", &text).unwrap_err();
    let loc = e.location.clone().expect("located");
    assert_eq!((loc.line, loc.column), (2, 3));
    assert!(
        e.message
            .starts_with("more than 128 namespace prefixes in scope on this element"),
        "{}",
        e.message
    );
    assert!(!e.message.contains("NamespaceResolver"));
    let ok: String = (0..127)
        .map(|i| format!(" xmlns:p{i}=\"urn:x{i}\""))
        .collect();
    let text = format!(
        "<assembly xmlns=\"{ASM_V1}\" manifestVersion=\"1.0\">\n  <file name=\"a.dll\"{ok}/>\n</assembly>\n"
    );
    assert!(parse_manifest_str("ns.manifest", &text).is_ok());

    let depth = 70_000;
    let text = format!(
        "<assembly xmlns=\"{ASM_V1}\" manifestVersion=\"1.0\">\n<description>{}{}</description></assembly>",
        "<x>".repeat(depth),
        "</x>".repeat(depth)
    );
    let e = parse_manifest_str("deep.manifest", &text).unwrap_err();
    let loc = e.location.clone().expect("located");
    assert_eq!(loc.line, 2);
    // The element that crossed the limit: the 65,535th counted (after <assembly> and <description>).
    assert_eq!(
        loc.column as usize,
        "<description>".len() + 3 * (65_535 - 2) + 1
    );
    assert!(
        e.message
            .starts_with("elements nest more than 65535 levels deep here"),
        "{}",
        e.message
    );
}
