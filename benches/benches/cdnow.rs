//! End-to-end and front-end benchmarks on the bundled CDNOW data: parsing and binding the
//! example definitions, and evaluating all of them over the 23,570 profiles.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use seg_benches::{cdnow_definitions, repo_root};
use seg_eval::EvalContext;
use seg_eval::columnar::{Segment, evaluate_batches};
use seg_io::ReadOptions;
use seg_plan::{SegmentPlan, bind, evaluation_order};

/// 1998-07-01T00:00:00Z, the day after the last CDNOW purchase.
const NOW_MICROS: i64 = 899_251_200_000_000;

fn benchmarks(c: &mut Criterion) {
    let definitions = cdnow_definitions().unwrap_or_default();
    let path = repo_root().join("testdata/cdnow/profiles.parquet");
    let Ok((schema, batches)) = seg_io::read_all(&path, &ReadOptions::default()) else {
        eprintln!("cannot read {}; run the CDNOW conversion first", path.display());
        return;
    };

    let mut group = c.benchmark_group("compile");
    group.throughput(Throughput::Elements(definitions.len() as u64));
    group.bench_function("cdnow definitions", |b| {
        b.iter(|| {
            definitions
                .iter()
                .filter_map(|(_, text)| seg_pql::parse(text).ok().and_then(|query| bind(&query, &schema).ok()))
                .count()
        })
    });
    group.finish();

    let plans: Vec<(String, SegmentPlan)> = definitions
        .iter()
        .filter_map(|(id, text)| Some((id.clone(), bind(&seg_pql::parse(text).ok()?, &schema).ok()?)))
        .collect();
    let order = evaluation_order(&plans).unwrap_or_default();
    let segments: Vec<Segment<'_>> = order.iter().map(|&i| Segment { id: &plans[i].0, plan: &plans[i].1 }).collect();
    let context = EvalContext { now: NOW_MICROS };
    let profiles: usize = batches.iter().map(|batch| batch.num_rows()).sum();

    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(profiles as u64));
    group.bench_function("cdnow all segments", |b| b.iter(|| evaluate_batches(&segments, &batches, &context)));
    group.finish();
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
