//! Fuzz target `config`: `comsim_fuzzcheck::check_config` (docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| comsim_fuzzcheck::check_config(data));
