"""Run the same segment definitions with seg, DuckDB and Polars on one Parquet file.

Checks that the three engines find the same number of members for every definition, prints
the median times and their ratios, and draws PNG charts. `run.sh` next to this file builds
seg, creates the virtual environment and generates the data; run that instead of this file.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import duckdb
import polars as pl

# The evaluation time of every definition: the end of the generated event history.
NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)
NOW_TEXT = "2025-01-01T00:00:00Z"

PAGE_VIEWS = "web.webpagedetails.pageViews"
PRODUCT_VIEWS = "commerce.productViews"
ADDS = "commerce.productListAdds"
CHECKOUTS = "commerce.checkouts"
PURCHASES = "commerce.purchases"


@dataclass
class Definition:
    """One segment definition in PQL with its DuckDB and Polars equivalents."""

    id: str
    pql: str
    # A DuckDB query that returns the number of members.
    duckdb_sql: str
    # Builds a Polars lazy frame with one row and one column: the number of members.
    polars: Callable[[str], pl.LazyFrame]


def sql_time(moment: datetime) -> str:
    return f"TIMESTAMPTZ '{moment.strftime('%Y-%m-%d %H:%M:%S')}+00'"


def sql_count(where: str) -> str:
    return f"SELECT count(*) FROM profiles WHERE {where}"


def polars_count(condition: Callable[[], pl.Expr]) -> Callable[[str], pl.LazyFrame]:
    return lambda path: pl.scan_parquet(path).filter(condition()).select(pl.len())


def event(name: str) -> pl.Expr:
    return pl.element().struct.field(name)


def sql_events_in_window(event_type: str, days: int) -> str:
    start = sql_time(NOW - timedelta(days=days))
    return (
        f"len(list_filter(xEvent, lambda e: e.eventType = '{event_type}' "
        f"AND e.timestamp >= {start} AND e.timestamp < {sql_time(NOW)}))"
    )


def polars_events_in_window(event_type: str, days: int) -> pl.Expr:
    start = NOW - timedelta(days=days)
    timestamp = event("timestamp")
    inside = (event("eventType") == event_type) & (timestamp >= start) & (timestamp < NOW)
    return pl.col("xEvent").list.eval(inside).list.sum()


def sql_purchase_total() -> str:
    return (
        f"coalesce(list_sum(list_transform(list_filter(xEvent, lambda e: e.eventType = '{PURCHASES}'), "
        "lambda e: e.commerce.order.priceTotal)), 0)"
    )


def polars_purchase_total() -> pl.Expr:
    price = event("commerce").struct.field("order").struct.field("priceTotal")
    return pl.col("xEvent").list.eval(pl.when(event("eventType") == PURCHASES).then(price)).list.sum()


def sql_chain(steps: list[str]) -> str:
    """Counts profiles with events of `steps` in strictly increasing time order.

    Taking the earliest match of each step after the previous one is enough for steps
    without counts or windows.
    """
    query = "SELECT xEvent, TIMESTAMPTZ '1970-01-01 00:00:00+00' - INTERVAL 1 DAY AS t0 FROM profiles"
    for index, step in enumerate(steps, start=1):
        query = (
            f"SELECT xEvent, list_min(list_transform(list_filter(xEvent, lambda e: e.eventType = '{step}' "
            f"AND e.timestamp > t{index - 1}), lambda e: e.timestamp)) AS t{index} FROM ({query})"
        )
    return f"SELECT count(*) FROM ({query}) WHERE t{len(steps)} IS NOT NULL"


def polars_chain(steps: list[str]) -> Callable[[str], pl.LazyFrame]:
    def build(path: str) -> pl.LazyFrame:
        flat = (
            pl.scan_parquet(path)
            .select(pl.int_range(pl.len()).alias("row"), "xEvent")
            .explode("xEvent")
            .select(
                "row",
                pl.col("xEvent").struct.field("timestamp").alias("ts"),
                pl.col("xEvent").struct.field("eventType").alias("type"),
            )
        )
        previous = None
        for step in steps:
            matches = flat.filter(pl.col("type") == step)
            if previous is not None:
                matches = matches.join(previous, on="row").filter(pl.col("ts") > pl.col("after"))
            previous = matches.group_by("row").agg(pl.col("ts").min().alias("after"))
        return previous.select(pl.len())

    return build


def sql_has_sku(sku: str) -> str:
    return (
        f"len(list_filter(xEvent, lambda e: e.eventType = '{PURCHASES}' "
        f"AND list_contains(list_transform(e.productListItems, lambda i: i.SKU), '{sku}'))) > 0"
    )


def polars_has_sku(sku: str) -> pl.Expr:
    skus = event("productListItems").list.eval(pl.element().struct.field("SKU") == sku).list.any()
    return pl.col("xEvent").list.eval((event("eventType") == PURCHASES) & skus).list.any()


def loyalty(name: str) -> pl.Expr:
    return pl.col("loyalty").struct.field(name)


def representative() -> list[Definition]:
    """The definitions of benches/definitions, one per kernel family."""
    chain_steps = [ADDS, CHECKOUTS, PURCHASES]
    email = pl.col("consents").struct.field("marketing").struct.field("email").struct.field("val")
    country = pl.col("homeAddress").struct.field("countryCode")
    city = pl.col("homeAddress").struct.field("city")
    return [
        Definition(
            "points-over-50k",
            "",
            sql_count("loyalty.points > 50000"),
            polars_count(lambda: loyalty("points") > 50000),
        ),
        Definition(
            "gold-or-platinum",
            "",
            sql_count("loyalty.tier IN ('gold', 'platinum')"),
            polars_count(lambda: loyalty("tier").is_in(["gold", "platinum"])),
        ),
        Definition(
            "san-cities",
            "",
            sql_count("starts_with(homeAddress.city, 'San')"),
            polars_count(lambda: city.str.starts_with("San")),
        ),
        Definition(
            "us-email-consent",
            "",
            sql_count("consents.marketing.email.val = 'y' AND homeAddress.countryCode = 'US'"),
            polars_count(lambda: (email == "y") & (country == "US")),
        ),
        Definition(
            "recent-page-viewers",
            "",
            sql_count(f"{sql_events_in_window(PAGE_VIEWS, 7)} >= 2"),
            polars_count(lambda: polars_events_in_window(PAGE_VIEWS, 7) >= 2),
        ),
        Definition(
            "purchased-last-30-days",
            "",
            sql_count(f"{sql_events_in_window(PURCHASES, 30)} >= 1"),
            polars_count(lambda: polars_events_in_window(PURCHASES, 30) >= 1),
        ),
        Definition(
            "big-spenders",
            "",
            sql_count(f"{sql_purchase_total()} >= 1000"),
            polars_count(lambda: polars_purchase_total() >= 1000),
        ),
        Definition("cart-to-purchase", "", sql_chain(chain_steps), polars_chain(chain_steps)),
        Definition(
            "top-product-buyers",
            "",
            sql_count(sql_has_sku("SKU-0000")),
            polars_count(lambda: polars_has_sku("SKU-0000")),
        ),
        Definition(
            "vip-big-spenders",
            "",
            sql_count(f"{sql_purchase_total()} >= 1000 AND loyalty.tier IN ('gold', 'platinum')"),
            polars_count(lambda: (polars_purchase_total() >= 1000) & loyalty("tier").is_in(["gold", "platinum"])),
        ),
    ]


def hundred_definitions() -> list[Definition]:
    """Ten variants of ten definition templates, as a job of 100 segments would hold."""
    definitions = []
    prefixes = ["San", "New", "Chi", "Tor", "Lon", "Par", "Ber", "Mad", "Tok", "Syd"]
    countries = ["US", "CA", "GB", "FR", "DE", "ES", "JP", "AU", "BR", "IT"]
    types = [PAGE_VIEWS, PRODUCT_VIEWS, ADDS, CHECKOUTS, PURCHASES]
    pairs = [(a, b) for a in types for b in types if a != b][:10]
    for i in range(10):
        points = 5_000 * (i + 1)
        definitions.append(Definition(f"points-{i}", f"loyalty.points > {points}", sql_count(f"loyalty.points > {points}"), None))
        year = 1940 + 7 * i
        definitions.append(
            Definition(f"born-{i}", f"person.birthYear >= {year}", sql_count(f"person.birthYear >= {year}"), None)
        )
        prefix = prefixes[i]
        definitions.append(
            Definition(
                f"city-{i}",
                f'homeAddress.city.startsWith("{prefix}")',
                sql_count(f"starts_with(homeAddress.city, '{prefix}')"),
                None,
            )
        )
        days = i + 1
        definitions.append(
            Definition(
                f"viewers-{i}",
                f'xEvent[eventType = "{PAGE_VIEWS}" and timestamp occurs <= {days} days before now].count() >= 2',
                sql_count(f"{sql_events_in_window(PAGE_VIEWS, days)} >= 2"),
                None,
            )
        )
        days = 10 * (i + 1)
        definitions.append(
            Definition(
                f"buyers-{i}",
                f'xEvent[eventType = "{PURCHASES}" and timestamp occurs <= {days} days before now].count() >= 1',
                sql_count(f"{sql_events_in_window(PURCHASES, days)} >= 1"),
                None,
            )
        )
        total = 250 * (i + 1)
        definitions.append(
            Definition(
                f"spenders-{i}",
                f'(sum E.commerce.order.priceTotal over E from xEvent where E.eventType = "{PURCHASES}") >= {total}',
                sql_count(f"{sql_purchase_total()} >= {total}"),
                None,
            )
        )
        first, second = pairs[i]
        definitions.append(
            Definition(
                f"chain-{i}",
                f'chain(xEvent, timestamp, [A: WHAT(eventType = "{first}"), B: WHAT(eventType = "{second}")])',
                sql_chain([first, second]),
                None,
            )
        )
        sku = f"SKU-{i:04}"
        definitions.append(
            Definition(
                f"sku-{i}",
                f'xEvent[eventType = "{PURCHASES}" and productListItems[SKU = "{sku}"]].count() > 0',
                sql_count(sql_has_sku(sku)),
                None,
            )
        )
        count = 5 * (i + 1)
        definitions.append(
            Definition(
                f"product-views-{i}",
                f'xEvent[eventType = "{PRODUCT_VIEWS}"].count() >= {count}',
                sql_count(f"len(list_filter(xEvent, lambda e: e.eventType = '{PRODUCT_VIEWS}')) >= {count}"),
                None,
            )
        )
        country = countries[i]
        definitions.append(
            Definition(
                f"sms-{i}",
                f'consents.marketing.sms.val = "y" and homeAddress.countryCode = "{country}"',
                sql_count(f"consents.marketing.sms.val = 'y' AND homeAddress.countryCode = '{country}'"),
                None,
            )
        )
    return definitions


def timed(runs: int, action: Callable[[], int]) -> tuple[float, int]:
    """Returns the median seconds of `runs` calls and the result of the last one."""
    seconds = []
    result = 0
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def run_seg(seg: Path, profiles: Path, definitions: Path, runs: int, each: bool) -> dict:
    command = [
        str(seg), "bench", "--profiles", str(profiles), "--definitions", str(definitions),
        "--now", NOW_TEXT, "--runs", str(runs), "--json",
    ]
    if each:
        command.append("--each")
    output = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(output.stdout)


def duckdb_connection(profiles: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(f"CREATE VIEW profiles AS SELECT * FROM read_parquet('{profiles}')")
    return connection


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def compare_representative(args: argparse.Namespace) -> list[dict]:
    definitions = representative()
    for definition in definitions:
        definition.pql = (args.definitions / f"{definition.id}.pql").read_text().strip()
    report = run_seg(args.seg, args.profiles, args.definitions, args.runs, each=True)
    seg_jobs = {job["job"]: job for job in report["jobs"]}
    connection = duckdb_connection(args.profiles)

    rows = []
    for definition in definitions:
        seg_job = seg_jobs[definition.id]
        seg_members = dict(seg_job["members"])[definition.id]
        duck_seconds, duck_members = timed(args.runs, lambda: connection.execute(definition.duckdb_sql).fetchone()[0])
        polars_seconds, polars_members = timed(
            args.runs, lambda: definition.polars(str(args.profiles)).collect().item()
        )
        rows.append(
            {
                "id": definition.id,
                "members": {"seg": seg_members, "duckdb": duck_members, "polars": polars_members},
                "seconds": {"seg": seg_job["medianSeconds"], "duckdb": duck_seconds, "polars": polars_seconds},
                "load_average": load_average(),
            }
        )
        print_row(rows[-1])
    all_job = seg_jobs["all"]
    print(
        f"\nseg, all {all_job['definitions']} definitions as one job: {all_job['medianSeconds']:.3f} s, "
        f"peak memory {report['peakRssBytes'] / 2**20:.0f} MiB"
    )
    return rows


def print_row(row: dict) -> None:
    members = row["members"]
    seconds = row["seconds"]
    agree = "ok" if len(set(members.values())) == 1 else "MISMATCH"
    print(
        f"{row['id']:<24} members {members['seg']:>9} {agree:<8} "
        f"seg {seconds['seg']:8.3f} s  duckdb {seconds['duckdb']:8.3f} s ({seconds['duckdb'] / seconds['seg']:6.1f}x)  "
        f"polars {seconds['polars']:8.3f} s ({seconds['polars'] / seconds['seg']:6.1f}x)  load {row['load_average']}"
    )


def compare_hundred(args: argparse.Namespace) -> dict:
    definitions = hundred_definitions()
    directory = args.data / "definitions-100"
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.pql"):
        old.unlink()
    for definition in definitions:
        (directory / f"{definition.id}.pql").write_text(definition.pql + "\n")

    report = run_seg(args.seg, args.profiles, directory, args.runs, each=False)
    seg_job = report["jobs"][0]
    seg_members = dict(seg_job["members"])
    connection = duckdb_connection(args.profiles)

    def run_all() -> list[int]:
        return [connection.execute(definition.duckdb_sql).fetchone()[0] for definition in definitions]

    duck_seconds, duck_members = timed(args.job_runs, run_all)
    mismatches = [
        f"{definition.id}: seg {seg_members[definition.id]}, duckdb {count}"
        for definition, count in zip(definitions, duck_members)
        if seg_members[definition.id] != count
    ]
    result = {
        "definitions": len(definitions),
        "seconds": {"seg": seg_job["medianSeconds"], "duckdb": duck_seconds},
        "compile_seconds": report["compileSeconds"],
        "peak_rss_bytes": report["peakRssBytes"],
        "mismatches": mismatches,
        "load_average": load_average(),
    }
    print(
        f"\n100-definition job: seg {seg_job['medianSeconds']:.2f} s (one job), duckdb {duck_seconds:.2f} s "
        f"(100 queries), ratio {duck_seconds / seg_job['medianSeconds']:.1f}x, load {result['load_average']}"
    )
    for mismatch in mismatches:
        print(f"  MISMATCH {mismatch}")
    return result


def draw_charts(rows: list[dict], hundred: dict | None, output: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    engines = ["seg", "duckdb", "polars"]
    figure, axes = plt.subplots(figsize=(11, 5))
    width = 0.27
    for index, engine in enumerate(engines):
        positions = [row_index + (index - 1) * width for row_index in range(len(rows))]
        axes.bar(positions, [row["seconds"][engine] for row in rows], width, label=engine)
    axes.set_xticks(range(len(rows)))
    axes.set_xticklabels([row["id"] for row in rows], rotation=30, ha="right")
    axes.set_yscale("log")
    axes.set_ylabel("median seconds (log scale)")
    axes.set_title(f"One definition per query, {title}")
    axes.legend()
    figure.tight_layout()
    figure.savefig(output / "benchmarks-definitions.png", dpi=100)
    plt.close(figure)

    if hundred is not None:
        figure, axes = plt.subplots(figsize=(6, 4))
        engines = ["seg", "duckdb"]
        axes.bar(engines, [hundred["seconds"][engine] for engine in engines], color=["C0", "C1"])
        axes.set_ylabel("median seconds")
        axes.set_title(f"100 definitions, {title}")
        figure.tight_layout()
        figure.savefig(output / "benchmarks-job-100.png", dpi=100)
        plt.close(figure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seg", type=Path, required=True, help="the seg binary")
    parser.add_argument("--profiles", type=Path, required=True, help="the generated Parquet file")
    parser.add_argument("--definitions", type=Path, required=True, help="benches/definitions")
    parser.add_argument("--data", type=Path, required=True, help="directory for generated files")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per definition")
    parser.add_argument("--job-runs", type=int, default=1, help="timed runs of the 100 DuckDB queries")
    parser.add_argument("--skip-hundred", action="store_true", help="skip the 100-definition job")
    parser.add_argument("--charts", type=Path, help="directory for the PNG charts")
    parser.add_argument("--title", default="", help="chart title suffix, such as the profile count")
    args = parser.parse_args()

    print(f"duckdb {duckdb.__version__}, polars {pl.__version__}, load average {load_average()}\n")
    rows = compare_representative(args)
    hundred = None if args.skip_hundred else compare_hundred(args)

    results = {"profiles": str(args.profiles), "definitions": rows, "hundred": hundred}
    (args.data / "compare-results.json").write_text(json.dumps(results, indent=2) + "\n")
    if args.charts is not None:
        draw_charts(rows, hundred, args.charts, args.title)

    mismatched = [row["id"] for row in rows if len(set(row["members"].values())) != 1]
    if hundred is not None:
        mismatched += hundred["mismatches"]
    if mismatched:
        print(f"\nmember counts differ for: {', '.join(mismatched)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
