//! Seeded uniform sampling of row numbers, for estimates.

use roaring::RoaringBitmap;

/// The SplitMix64 generator: small, seedable and good enough to pick sample rows. Not for
/// cryptography.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// Creates a generator; the same seed gives the same sequence.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// Returns the next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Returns a uniform integer in `0..=max`, by widening multiplication. The bias is below
    /// `(max + 1) / 2^64`, negligible for row counts.
    pub fn below_or_equal(&mut self, max: u64) -> u64 {
        let range = u128::from(max) + 1;
        ((u128::from(self.next_u64()) * range) >> 64) as u64
    }
}

/// Picks `size` distinct rows of `0..total`, each subset equally likely (Floyd's algorithm).
/// Returns every row when `size >= total`.
pub fn sample_rows(total: u32, size: u32, seed: u64) -> RoaringBitmap {
    if size >= total {
        return (0..total).collect();
    }
    let mut random = SplitMix64::new(seed);
    let mut chosen = RoaringBitmap::new();
    for j in (total - size)..total {
        let candidate = random.below_or_equal(u64::from(j)) as u32;
        if !chosen.insert(candidate) {
            chosen.insert(j);
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_has_requested_size() {
        let rows = sample_rows(1000, 100, 7);
        assert_eq!(rows.len(), 100);
        assert!(rows.max().is_some_and(|max| max < 1000));
    }

    #[test]
    fn same_seed_same_sample() {
        assert_eq!(sample_rows(5000, 50, 1), sample_rows(5000, 50, 1));
        assert_ne!(sample_rows(5000, 50, 1), sample_rows(5000, 50, 2));
    }

    #[test]
    fn every_row_is_equally_likely() {
        let mut hits = [0u32; 10];
        for seed in 0..2000 {
            for row in &sample_rows(10, 3, seed) {
                hits[row as usize] += 1;
            }
        }
        // Each row is expected 600 times; 4 standard deviations are about 80.
        for (row, count) in hits.iter().enumerate() {
            assert!((520..=680).contains(count), "row {row} was picked {count} times");
        }
    }
}
