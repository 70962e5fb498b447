//! Parsing and binding definitions: the representative set, and 100 and 4,000 definitions of
//! the template families, as a sandbox with the maximum of 4,000 active segments would hold.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use seg_benches::{definition_variants, representative_definitions};
use seg_plan::{SegmentPlan, bind, evaluation_order};

fn compile_all(definitions: &[(String, String)], schema: &arrow::datatypes::Schema) -> usize {
    let plans: Vec<(String, SegmentPlan)> = definitions
        .iter()
        .filter_map(|(id, text)| Some((id.clone(), bind(&seg_pql::parse(text).ok()?, schema).ok()?)))
        .collect();
    evaluation_order(&plans).map_or(0, |order| order.len())
}

fn benchmarks(c: &mut Criterion) {
    let schema = seg_io::generated_schema();
    let representative = representative_definitions().unwrap_or_default();
    assert_eq!(compile_all(&representative, &schema), representative.len(), "a definition does not compile");

    let mut group = c.benchmark_group("compile");
    group.throughput(Throughput::Elements(representative.len() as u64));
    group.bench_function("representative", |b| b.iter(|| compile_all(&representative, &schema)));
    for count in [100, 4_000] {
        let definitions = definition_variants(count);
        assert_eq!(compile_all(&definitions, &schema), count, "a generated definition does not compile");
        group.throughput(Throughput::Elements(count as u64));
        group.bench_function(format!("{count} definitions"), |b| b.iter(|| compile_all(&definitions, &schema)));
    }
    group.finish();

    let definitions = definition_variants(4_000);
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(4_000));
    group.bench_function("4000 definitions", |b| {
        b.iter(|| definitions.iter().filter(|(_, text)| seg_pql::parse(text).is_ok()).count())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = benchmarks
}
criterion_main!(benches);
