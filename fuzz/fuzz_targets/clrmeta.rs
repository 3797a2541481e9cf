//! Fuzz target `clrmeta`: `comsim_fuzzcheck::check_clrmeta` (docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| comsim_fuzzcheck::check_clrmeta(data));
