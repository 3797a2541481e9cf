//! Fuzz target `reg_lenient`: `comsim_fuzzcheck::check_reg_lenient` (docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| comsim_fuzzcheck::check_reg_lenient(data));
