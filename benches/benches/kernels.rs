//! Kernel families of the columnar engine over generated profiles, on one thread: attribute
//! comparisons, string tests, time windows, event counts, aggregates, chains and `inSegment`,
//! each at a few selectivities, on a skewed dataset (mean 20 events per profile) and a fixed
//! one (64 events per profile). Also whole jobs of the representative definitions on all
//! threads.
//!
//! Throughput is in profiles per second for profile-level kernels and in events per second
//! for the chain length series.

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime};
use seg_benches::{
    GENERATED_NOW, compile_generated, event_total, generated_batches, parquet_batches, representative_definitions,
};
use seg_eval::EvalContext;
use seg_eval::columnar::{Segment, evaluate_batch, evaluate_batches};
use seg_io::EventCounts;
use seg_plan::{SegmentPlan, evaluation_order};

/// Profiles per dataset: one batch, so a kernel runs on one thread.
const PROFILES: u64 = 65_536;

const CONTEXT: EvalContext = EvalContext { now: GENERATED_NOW };

/// Families of `(family, label, definition)`; the label names the share of qualifying profiles
/// on the skewed dataset, which setup prints as measured.
const KERNELS: &[(&str, &str, &str)] = &[
    ("comparison", "1%", "loyalty.points > 99000"),
    ("comparison", "50%", "loyalty.points > 50000"),
    ("comparison", "99%", "loyalty.points > 1000"),
    ("comparison", "and 25%", "loyalty.points > 50000 and person.birthYear >= 1975"),
    ("string", "equals 8%", "homeAddress.city = \"London\""),
    ("string", "in 20%", "loyalty.tier in [\"gold\", \"platinum\"]"),
    ("string", "startsWith 17%", "homeAddress.city.startsWith(\"San\")"),
    ("string", "contains", "person.name.lastName.contains(\"an\")"),
    ("time window", "1 day", "xEvent[timestamp occurs <= 1 days before now].count() > 0"),
    ("time window", "30 days", "xEvent[timestamp occurs <= 30 days before now].count() > 0"),
    ("time window", "365 days", "xEvent[timestamp occurs <= 365 days before now].count() > 0"),
    ("event count", "type", "xEvent[eventType = \"commerce.purchases\"].count() >= 2"),
    (
        "event count",
        "type in 30 days",
        "xEvent[eventType = \"commerce.purchases\" and timestamp occurs <= 30 days before now].count() >= 2",
    ),
    ("aggregate", "sum low", "(sum E.commerce.order.priceTotal over E from xEvent where E.eventType = \"commerce.purchases\") >= 100"),
    ("aggregate", "sum high", "(sum E.commerce.order.priceTotal over E from xEvent where E.eventType = \"commerce.purchases\") >= 2000"),
    ("aggregate", "max", "xEvent.commerce.order.priceTotal.max() > 1500"),
    ("chain", "2 steps", "chain(xEvent, timestamp, [A: WHAT(eventType = \"commerce.productListAdds\"), B: WHAT(eventType = \"commerce.purchases\")])"),
    (
        "chain",
        "3 steps",
        "chain(xEvent, timestamp, [A: WHAT(eventType = \"commerce.productListAdds\"), B: WHAT(eventType = \"commerce.checkouts\"), C: WHAT(eventType = \"commerce.purchases\")])",
    ),
    ("nested filter", "SKU", "xEvent[productListItems[SKU = \"SKU-0000\"]].count() > 0"),
];

fn bench_kernel(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, text: &str, batch: &arrow::array::RecordBatch) {
    let plan = compile_generated(text);
    let segments = [Segment { id: "kernel", plan: &plan }];
    let members = evaluate_batch(&segments, batch, &CONTEXT).map(|masks| masks[0].true_count()).unwrap_or(0);
    eprintln!("{name}: {:.1}% of {} profiles", 100.0 * members as f64 / batch.num_rows() as f64, batch.num_rows());
    group.bench_function(name, |b| b.iter(|| evaluate_batch(&segments, batch, &CONTEXT)));
}

fn kernels(c: &mut Criterion) {
    // The first two datasets hold strings as `Utf8`, as NDJSON files and in-memory batches do.
    // The Parquet ones are read back from a file as a job reads it, with dictionary-encoded
    // strings such as `eventType` kept as dictionaries.
    let datasets = [
        ("skewed 20", generated_batches(PROFILES, EventCounts::Skewed { mean: 20.0 })),
        ("fixed 64", generated_batches(PROFILES, EventCounts::Fixed(64))),
        ("skewed 20 parquet", parquet_batches(PROFILES, EventCounts::Skewed { mean: 20.0 })),
        ("fixed 64 parquet", parquet_batches(PROFILES, EventCounts::Fixed(64))),
    ];
    for (dataset, batches) in &datasets {
        let Ok(batches) = batches else {
            eprintln!("cannot generate the {dataset} dataset");
            continue;
        };
        let batch = &batches[0];
        let events = event_total(batches);
        let mut group = c.benchmark_group(format!("kernel/{dataset}"));
        group.throughput(Throughput::Elements(batch.num_rows() as u64));
        for (family, label, text) in KERNELS {
            let profile_level = matches!(*family, "comparison" | "string");
            if profile_level && !dataset.starts_with("skewed 20") {
                continue;
            }
            bench_kernel(&mut group, &format!("{family} {label}"), text, batch);
        }

        // inSegment over two cheap segments, and the same two segments alone, so the
        // difference is the cost of combining them.
        let parts = [compile_generated("loyalty.points > 50000"), compile_generated("homeAddress.countryCode = \"US\"")];
        let both = compile_generated("inSegment(\"a\") and not inSegment(\"b\")");
        let alone = [Segment { id: "a", plan: &parts[0] }, Segment { id: "b", plan: &parts[1] }];
        let combined = [alone[0], alone[1], Segment { id: "c", plan: &both }];
        if *dataset == "skewed 20" {
            group.bench_function("inSegment parts alone", |b| b.iter(|| evaluate_batch(&alone, batch, &CONTEXT)));
            group.bench_function("inSegment parts and combination", |b| {
                b.iter(|| evaluate_batch(&combined, batch, &CONTEXT))
            });
        }
        group.finish();
        eprintln!("{dataset}: {events} events in {} profiles", batch.num_rows());
    }
}

/// Chains over fixed event counts per profile, in events per second, to show whether the time
/// grows linearly with the number of events: over in-memory batches with `Utf8` strings, and
/// over batches read from Parquet with dictionary strings, as a job reads them.
fn chain_length(c: &mut Criterion) {
    let text = KERNELS.iter().find(|(family, label, _)| *family == "chain" && *label == "2 steps").map(|k| k.2).unwrap_or_default();
    let plan = compile_generated(text);
    let segments = [Segment { id: "chain", plan: &plan }];
    let mut group = c.benchmark_group("chain length");
    for events_per_profile in [16u32, 64, 256] {
        let profiles = (4 * 1_048_576 / u64::from(events_per_profile)).min(PROFILES);
        let sources = [
            ("", generated_batches(profiles, EventCounts::Fixed(events_per_profile))),
            (", parquet", parquet_batches(profiles, EventCounts::Fixed(events_per_profile))),
        ];
        for (source, batches) in sources {
            let Ok(batches) = batches else {
                continue;
            };
            let batch = &batches[0];
            group.throughput(Throughput::Elements(event_total(&batches)));
            group.bench_function(format!("{events_per_profile} events per profile{source}"), |b| {
                b.iter(|| evaluate_batch(&segments, batch, &CONTEXT))
            });
        }
    }
    group.finish();
}

/// The representative definitions as one job over 262,144 profiles on all threads.
fn jobs(c: &mut Criterion) {
    let Ok(batches) = generated_batches(4 * PROFILES, EventCounts::Skewed { mean: 20.0 }) else {
        return;
    };
    let definitions = representative_definitions().unwrap_or_default();
    let plans: Vec<(String, SegmentPlan)> =
        definitions.iter().map(|(id, text)| (id.clone(), compile_generated(text))).collect();
    let order = evaluation_order(&plans).unwrap_or_default();
    let segments: Vec<Segment<'_>> = order.iter().map(|&i| Segment { id: &plans[i].0, plan: &plans[i].1 }).collect();

    let mut group = c.benchmark_group("job");
    group.throughput(Throughput::Elements(4 * PROFILES));
    group.bench_function("representative definitions", |b| b.iter(|| evaluate_batches(&segments, &batches, &CONTEXT)));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = kernels, chain_length, jobs
}
criterion_main!(benches);
