//! Fuzz target `manifest`: `comsim_fuzzcheck::check_manifest` (docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| comsim_fuzzcheck::check_manifest(data));
