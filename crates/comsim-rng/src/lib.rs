//! The seeded generators of comsim's randomized tests, its fuzz replays and its generated bench
//! inputs: small, with no dependency, and with sequences fixed for a seed, so that a failure
//! replays and a generated file is the same on every machine.
//!
//! Two of them, because their sequences are already relied on: [`Xorshift64`] (Marsaglia's
//! 13/7/17 shifts) drives the randomized tests and the fuzz corpus's mutations, whose cases were
//! chosen and checked with it; [`SplitMix64`] the xtask's generated scenarios and benches, whose
//! outputs are compared across runs.

/// xorshift64 with the shifts 13, 7 and 17. A seed of zero gives zeros only.
#[derive(Debug, Clone)]
pub struct Xorshift64(u64);

impl Xorshift64 {
    pub fn new(seed: u64) -> Self {
        Xorshift64(seed)
    }

    /// The next 64 bits.
    pub fn bits(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (`n > 0`), by remainder: the bias is irrelevant at test sizes.
    pub fn below(&mut self, n: usize) -> usize {
        (self.bits() % n as u64) as usize
    }
}

/// SplitMix64 (Steele, Lea and Flood's generator, as in Java's `SplittableRandom`).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`); the modulo bias is irrelevant at these sizes.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A random (version 4) GUID as the registry writes it:
    /// `{XXXXXXXX-XXXX-4XXX-YXXX-XXXXXXXXXXXX}`, upper case, in braces.
    pub fn guid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{{{:08X}-{:04X}-{:04X}-{:04X}-{:012X}}}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            0x4000 | (a & 0x0FFF),
            0x8000 | ((b >> 48) & 0x3FFF),
            b & 0xFFFF_FFFF_FFFF
        )
    }

    /// An index chosen with the given weights.
    pub fn weighted(&mut self, weights: &[usize]) -> usize {
        let total: usize = weights.iter().sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sequences are fixed for a seed: randomized tests, fuzz mutations and generated cases
    /// depend on them, and changing one changes every case drawn from it.
    #[test]
    fn the_sequences_are_fixed_for_a_seed() {
        let mut x = Xorshift64::new(1);
        assert_eq!(x.bits(), 0x4082_2041);
        assert_eq!(x.bits(), 0x1000_4106_0C01_1441);
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn weighted_choice_stays_in_range() {
        let mut r = SplitMix64::new(7);
        for _ in 0..1000 {
            assert!(r.weighted(&[1, 0, 3]) != 1);
            assert!((3..=5).contains(&r.range(3, 5)));
        }
    }
}
