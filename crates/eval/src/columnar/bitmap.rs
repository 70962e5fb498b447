//! Conversion of boolean masks into roaring bitmaps of row numbers.

use arrow::array::{Array, BooleanArray};
use roaring::RoaringBitmap;

/// Converts a boolean mask into the row numbers `offset + i` of its true bits.
///
/// Works on whole bytes of the bit buffer. The full bytes go to
/// [`RoaringBitmap::from_lsb0_bytes`], which shifts them when `offset` is not a multiple of 8.
/// Only the at most 7 bits of a partial last byte are read one by one. A sliced mask is
/// first copied to a byte-aligned buffer when its bit offset is not a multiple of 8. A null slot
/// counts as false, although evaluation masks have none.
///
/// # Panics
///
/// Panics when `offset + mask.len()` exceeds 2^32, because such row numbers do not fit in a
/// `u32`. [`evaluate_batches`](super::evaluate_batches) checks the total first and returns
/// [`EvalError::TooManyRows`](super::EvalError::TooManyRows) instead.
pub fn mask_to_bitmap(mask: &BooleanArray, offset: u32) -> RoaringBitmap {
    let len = mask.len();
    assert!(
        u64::from(offset) + len as u64 <= 1u64 << 32,
        "mask of {len} rows at offset {offset} has row numbers beyond u32::MAX"
    );

    let bits = match mask.nulls() {
        Some(nulls) if nulls.null_count() > 0 => mask.values() & nulls.inner(),
        _ => mask.values().clone(),
    };
    let aligned = bits.sliced();
    let full_bytes = len / 8;
    let mut bitmap = RoaringBitmap::from_lsb0_bytes(offset, &aligned.as_slice()[..full_bytes]);

    // The bits of a partial last byte beyond `len` may be set, so the tail is read bit by bit.
    for i in full_bytes * 8..len {
        if bits.value(i) {
            bitmap.insert(offset + i as u32);
        }
    }
    bitmap
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(len: usize) -> Vec<bool> {
        (0..len).map(|i| i % 3 == 0 || i % 7 == 2).collect()
    }

    fn expected(bits: &[bool], offset: u32) -> Vec<u32> {
        bits.iter()
            .enumerate()
            .filter(|(_, bit)| **bit)
            .map(|(i, _)| offset + i as u32)
            .collect()
    }

    #[test]
    fn bitmap_aligned_offset() {
        let bits = pattern(100);
        let bitmap = mask_to_bitmap(&BooleanArray::from(bits.clone()), 16);
        assert_eq!(bitmap.iter().collect::<Vec<_>>(), expected(&bits, 16));
    }

    #[test]
    fn bitmap_unaligned_offsets() {
        let bits = pattern(77);
        for offset in [1u32, 3, 7, 9, 65_533, 70_001] {
            let bitmap = mask_to_bitmap(&BooleanArray::from(bits.clone()), offset);
            assert_eq!(
                bitmap.iter().collect::<Vec<_>>(),
                expected(&bits, offset),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn bitmap_sliced_mask() {
        let bits = pattern(200);
        let mask = BooleanArray::from(bits.clone());
        for (start, len) in [(3usize, 50usize), (8, 64), (13, 187), (0, 5), (199, 1)] {
            let sliced = mask.slice(start, len);
            let bitmap = mask_to_bitmap(&sliced, 5);
            assert_eq!(
                bitmap.iter().collect::<Vec<_>>(),
                expected(&bits[start..start + len], 5),
                "slice {start}+{len}"
            );
        }
    }

    #[test]
    fn bitmap_ignores_bits_past_slice_end() {
        let mask = BooleanArray::from(vec![true; 16]).slice(0, 3);
        let bitmap = mask_to_bitmap(&mask, 0);
        assert_eq!(bitmap.iter().collect::<Vec<_>>(), vec![0, 1, 2]);
    }

    #[test]
    fn bitmap_null_is_unset() {
        let mask = BooleanArray::from(vec![Some(true), None, Some(true), Some(false)]);
        let bitmap = mask_to_bitmap(&mask, 0);
        assert_eq!(bitmap.iter().collect::<Vec<_>>(), vec![0, 2]);
    }

    #[test]
    fn bitmap_empty_mask() {
        let bitmap = mask_to_bitmap(&BooleanArray::from(Vec::<bool>::new()), 9);
        assert!(bitmap.is_empty());
    }

    #[test]
    fn bitmap_last_row_number() {
        let mask = BooleanArray::from(vec![false, true, true]);
        let bitmap = mask_to_bitmap(&mask, u32::MAX - 2);
        assert_eq!(
            bitmap.iter().collect::<Vec<_>>(),
            vec![u32::MAX - 1, u32::MAX]
        );
    }
}
