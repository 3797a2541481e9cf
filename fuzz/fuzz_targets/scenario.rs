//! Fuzz target `scenario`: `comsim_fuzzcheck::check_scenario` (docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| comsim_fuzzcheck::check_scenario(data));
