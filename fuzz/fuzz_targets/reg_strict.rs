//! Fuzz target `reg_strict`: `comsim_fuzzcheck::check_reg_strict` (docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| comsim_fuzzcheck::check_reg_strict(data));
