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
