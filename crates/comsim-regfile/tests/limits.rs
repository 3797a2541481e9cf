//! docs/reliability.md: a `.reg` file larger than `MAX_REG_FILE_SIZE` is refused before it is read.

use comsim_regfile::{ImportOptions, MAX_REG_FILE_SIZE, codes, import_file};
use comsim_registry::Registry;

#[test]
fn a_reg_file_over_the_size_limit_is_refused_before_it_is_read() {
    let path = std::env::temp_dir().join(format!("comsim-too-large-{}.reg", std::process::id()));
    let file = std::fs::File::create(&path).expect("a temporary file");
    // A sparse file: the limit is checked on the size, so nothing is written or read.
    file.set_len(MAX_REG_FILE_SIZE + 1).expect("sized");
    drop(file);
    let mut reg = Registry::default();
    let result = import_file(&mut reg, &path, "big.reg", &ImportOptions::default());
    std::fs::remove_file(&path).expect("removed");
    let e = result.expect_err("refused");
    assert_eq!(e.code, codes::REG_TOO_LARGE);
    let loc = e.location.expect("located");
    assert_eq!((&*loc.file, loc.line, loc.column), ("big.reg", 1, 1));
    assert!(
        e.message.contains("at most 268435456 bytes (256 MiB)"),
        "{}",
        e.message
    );

    // A file within the limit is read.
    let path = std::env::temp_dir().join(format!("comsim-at-limit-{}.reg", std::process::id()));
    std::fs::write(&path, b"REGEDIT4\r\n").expect("written");
    let ok = import_file(&mut reg, &path, "small.reg", &ImportOptions::default());
    std::fs::remove_file(&path).expect("removed");
    assert!(ok.is_ok());
}

fn strict(text: &str) -> Result<comsim_regfile::ImportReport, comsim_diag::Diagnostic> {
    let mut reg = Registry::default();
    comsim_regfile::import_bytes(
        &mut reg,
        "limits.reg",
        text.as_bytes(),
        &ImportOptions::default(),
    )
}

/// docs/reliability.md: Windows' registry limits (keys 512 levels deep, key names of 256
/// characters, value names of 16,383) are errors at the line that crosses them.
#[test]
fn registry_limits_are_errors_at_the_line() {
    let head = "Windows Registry Editor Version 5.00\r\n\r\n";
    let key = |depth: usize| {
        format!(
            "{head}[HKEY_CURRENT_USER\\{}]\r\n",
            vec!["k"; depth].join("\\")
        )
    };
    assert!(strict(&key(511)).is_ok());
    let e = strict(&key(513)).expect_err("too deep");
    assert_eq!(e.code, codes::REG_OPEN_FAILED);
    assert_eq!(e.location.as_ref().map(|l| l.line), Some(3));
    let value = |len: usize| {
        format!(
            "{head}[HKEY_CURRENT_USER\\Software]\r\n\"{}\"=\"x\"\r\n",
            "v".repeat(len)
        )
    };
    assert!(strict(&value(16_383)).is_ok());
    let e = strict(&value(16_384)).expect_err("a value name too long");
    assert_eq!(e.location.as_ref().map(|l| l.line), Some(4));
}
