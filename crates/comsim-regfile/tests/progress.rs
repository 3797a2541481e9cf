//! `import_file_with_progress` tells its listener how far the import has got (docs/reliability.md,
//! "Progress"), in the file's bytes, and imports exactly what `import_file` imports.

use comsim_diag::{Progress, Work};
use comsim_regfile::{ImportOptions, dump, encode_utf16le, import_file, import_file_with_progress};
use comsim_registry::Registry;

/// Records every call.
#[derive(Default)]
struct Record {
    begun: Vec<(String, Work)>,
    steps: Vec<(u64, u64)>,
    ended: usize,
}

impl Progress for Record {
    fn begin(&mut self, what: &str, unit: Work) {
        self.begun.push((what.to_owned(), unit));
    }
    fn advance(&mut self, done: u64, total: u64) {
        self.steps.push((done, total));
    }
    fn end(&mut self) {
        self.ended += 1;
    }
}

/// About 1.5 MB of text: 10,000 keys of one value each.
fn big_text() -> String {
    let mut text = String::from("Windows Registry Editor Version 5.00\r\n");
    for i in 0..10_000 {
        text.push_str(&format!(
            "\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Progress\\Key{i:05}]\r\n\"Value\"=\"some text for the value of key number {i}, long enough to make the file big\"\r\n"
        ));
    }
    text
}

fn check(name: &str, bytes: &[u8]) {
    let path = std::env::temp_dir().join(format!("comsim-progress-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).expect("a temporary file");
    let opts = ImportOptions::default();
    let mut plain = Registry::new();
    let want = import_file(&mut plain, &path, name, &opts);
    let mut reg = Registry::new();
    let mut rec = Record::default();
    let got = import_file_with_progress(&mut reg, &path, name, &opts, &mut rec);
    std::fs::remove_file(&path).ok();
    assert_eq!(got, want, "{name}: the same result with progress");
    assert_eq!(dump(&reg), dump(&plain), "{name}: the same registry");
    assert_eq!(rec.begun, vec![(name.to_owned(), Work::Bytes)]);
    assert_eq!(rec.ended, 1);
    let total = bytes.len() as u64;
    assert!(rec.steps.len() >= 3, "{name}: only {:?}", rec.steps);
    assert!(
        rec.steps.iter().all(|&(d, t)| t == total && d <= t),
        "{name}: {:?}",
        rec.steps
    );
    assert!(
        rec.steps.windows(2).all(|w| w[0].0 <= w[1].0),
        "{name}: goes back"
    );
    assert_eq!(
        rec.steps.last(),
        Some(&(total, total)),
        "{name}: ends at the end"
    );
    // Coarse: not one call per line.
    assert!(rec.steps.len() < 64, "{name}: {} calls", rec.steps.len());
}

#[test]
fn an_import_reports_its_progress_in_the_files_bytes_utf8() {
    check("big-utf8.reg", big_text().as_bytes());
}

#[test]
fn an_import_reports_its_progress_in_the_files_bytes_utf16() {
    check("big-utf16.reg", &encode_utf16le(&big_text()));
}

/// A failed import ends its piece of work too.
#[test]
fn a_failed_import_ends_its_piece_of_work() {
    let path = std::env::temp_dir().join(format!("comsim-progress-{}-bad.reg", std::process::id()));
    std::fs::write(&path, "not a header\r\n").expect("a temporary file");
    let mut rec = Record::default();
    let got = import_file_with_progress(
        &mut Registry::new(),
        &path,
        "bad.reg",
        &ImportOptions::default(),
        &mut rec,
    );
    std::fs::remove_file(&path).ok();
    assert!(got.is_err());
    assert_eq!(rec.begun.len(), 1);
    assert_eq!(rec.ended, 1);
}
