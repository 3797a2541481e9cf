//! A `.config` written on one line (docs/reliability.md, "Bounded work"): every element is
//! located at its own column in linear time. Counted, not timed: each lookup of a place counts at
//! most two checkpoint blocks of the line (`comsim_diag::line_index_work`), where counting from
//! the start of the line counts about 40,000 bytes per lookup at this size and fails the bound
//! (11 s for 100,000 elements in a release build, before the checkpoints).

use comsim_appconfig::parse_config_str;

#[test]
fn a_config_on_one_long_line_is_located_in_linear_time() {
    let head = "<configuration><startup>";
    let element = |i: usize| format!(r#"<supportedRuntime version="v{:05}.0"/>"#, i);
    let n = 2_000;
    let mut text = head.to_owned();
    for i in 0..n {
        text.push_str(&element(i));
    }
    text.push_str("</startup></configuration>");
    let (lookups0, bytes0) = comsim_diag::line_index_work();
    let config = parse_config_str("one-line.config", &text).unwrap_or_else(|e| panic!("{e}"));
    let (lookups, bytes) = comsim_diag::line_index_work();
    let (lookups, bytes) = (lookups - lookups0, bytes - bytes0);
    assert!(
        lookups >= n as u64,
        "{lookups} lookups: not located through LineIndex"
    );
    let bound = lookups * 2 * comsim_diag::CHECKPOINT_BYTES as u64;
    assert!(
        bytes <= bound,
        "{bytes} bytes counted for {lookups} lookups"
    );
    let runtimes = &config.startup.expect("<startup>").supported_runtimes;
    assert_eq!(runtimes.len(), n);
    let width = element(0).len();
    for (i, r) in runtimes.iter().enumerate().step_by(97) {
        assert_eq!(r.location.line, 1);
        assert_eq!(r.location.column as usize, head.len() + i * width + 1);
    }
}
