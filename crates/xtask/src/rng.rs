//! The generator of the generated scenarios and bench inputs: `comsim_rng`'s SplitMix64, whose
//! sequence for a seed is fixed there, so generated cases are the same on every machine and run.

pub use comsim_rng::SplitMix64 as Rng;
