//! Fuzz target `pe`: `comsim_fuzzcheck::check_pe` (docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| comsim_fuzzcheck::check_pe(data));
