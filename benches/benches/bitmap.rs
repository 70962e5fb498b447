//! Predicate-to-bitmap conversion and bitmap algebra.
//!
//! `mask_to_bitmap` hands the packed bits of a 64K-row mask to
//! `RoaringBitmap::from_lsb0_bytes`; the other conversions insert the row numbers of the set
//! bits one by one or as a sorted iterator. The algebra benchmarks combine two member bitmaps
//! over a universe of 10 M profiles, as `inSegment` and membership changes do.

use arrow::array::BooleanArray;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use roaring::RoaringBitmap;
use seg_eval::columnar::mask_to_bitmap;

/// Rows per mask, the default batch size.
const ROWS: usize = 65_536;
const UNIVERSE: u32 = 10_000_000;

/// Returns a mask whose bit `i` is set when a hash of `i` falls below `density`.
fn mask(rows: usize, density: f64, salt: u64) -> Vec<bool> {
    (0..rows)
        .map(|row| {
            let mut state = (row as u64 ^ salt).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            state ^= state >> 29;
            (state % 10_000) as f64 / 10_000.0 < density
        })
        .collect()
}

fn conversion(c: &mut Criterion) {
    let mut group = c.benchmark_group("mask to bitmap");
    group.throughput(Throughput::Elements(ROWS as u64));
    for (label, density) in [("1%", 0.01), ("50%", 0.5), ("99%", 0.99)] {
        let bits = mask(ROWS, density, 1);
        let array = BooleanArray::from(bits.clone());
        let offset = 3 * ROWS as u32;
        group.bench_function(format!("from_lsb0_bytes {label}"), |b| b.iter(|| mask_to_bitmap(&array, offset)));
        group.bench_function(format!("unaligned offset {label}"), |b| b.iter(|| mask_to_bitmap(&array, offset + 3)));
        group.bench_function(format!("insert per row {label}"), |b| {
            b.iter(|| {
                let mut bitmap = RoaringBitmap::new();
                for (row, bit) in bits.iter().enumerate() {
                    if *bit {
                        bitmap.insert(offset + row as u32);
                    }
                }
                bitmap
            })
        });
        group.bench_function(format!("from_sorted_iter {label}"), |b| {
            b.iter(|| {
                let rows = array.values().set_indices().map(|row| offset + row as u32);
                RoaringBitmap::from_sorted_iter(rows).unwrap_or_default()
            })
        });
    }
    group.finish();
}

fn bitmap_of(density: f64, salt: u64) -> RoaringBitmap {
    let bits = mask(UNIVERSE as usize, density, salt);
    mask_to_bitmap(&BooleanArray::from(bits), 0)
}

fn algebra(c: &mut Criterion) {
    let quarter = bitmap_of(0.25, 2);
    let half = bitmap_of(0.5, 3);
    let sparse = bitmap_of(0.001, 4);
    let mut group = c.benchmark_group("bitmap algebra 10M");
    group.throughput(Throughput::Elements(u64::from(UNIVERSE)));
    group.bench_function("and 25% 50%", |b| b.iter(|| &quarter & &half));
    group.bench_function("or 25% 50%", |b| b.iter(|| &quarter | &half));
    group.bench_function("and not 25% 50%", |b| b.iter(|| &quarter - &half));
    group.bench_function("intersection_len 25% 50%", |b| b.iter(|| quarter.intersection_len(&half)));
    group.bench_function("and 0.1% 50%", |b| b.iter(|| &sparse & &half));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = conversion, algebra
}
criterion_main!(benches);
