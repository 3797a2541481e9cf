//! Fuzz target `error_text`: `comsim_fuzzcheck::check_error_text` (docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| comsim_fuzzcheck::check_error_text(data));
