//! Fuzz target `hive`: `comsim_fuzzcheck::check_hive` (docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| comsim_fuzzcheck::check_hive(data));
