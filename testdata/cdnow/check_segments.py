#!/usr/bin/env python3
"""Check the example CDNOW segments member by member against the raw purchase file.

The expected audiences are computed here straight from CDNOW_master.txt with plain Python,
sharing no code with the engine. Usage:

    check_segments.py CDNOW_master.txt MEMBERS_DIR

MEMBERS_DIR is the --members-out directory of `seg eval` run with --now 1998-07-01T00:00:00Z.
Exits with status 1 when any segment differs.
"""

import collections
import pathlib
import sys


def load(path):
    rows = collections.defaultdict(list)
    with open(path, encoding="ascii") as handle:
        next(handle)  # header
        for line in handle:
            fields = line.split()
            if fields:
                customer, date, cds, dollars = fields
                rows[customer].append((date, int(cds), float(dollars)))
    return rows


def expected_segments(rows):
    spend = {c: sum(d for _, _, d in r) for c, r in rows.items()}
    segments = {
        "frequent-buyers": {c for c, r in rows.items() if len(r) >= 10},
        "big-spenders": {c for c in rows if spend[c] >= 500},
        # No purchase in the six months before 1998-07-01, that is since 1998-01-01.
        "lapsed-customers": {c for c, r in rows.items() if max(d for d, _, _ in r) < "19980101"},
        # Two purchases on different days (chain steps need strictly increasing timestamps).
        "repeat-buyers": {c for c, r in rows.items() if len({d for d, _, _ in r}) >= 2},
        "bulk-cd-buyers": {c for c, r in rows.items() if sum(1 for _, n, _ in r if n >= 5) >= 2},
        "spring-1998-buyers": {
            c for c, r in rows.items() if any("19980401" <= d <= "19980630" and v > 0 for d, _, v in r)
        },
    }
    segments["lapsed-big-spenders"] = segments["big-spenders"] & segments["lapsed-customers"]
    return segments


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = load(sys.argv[1])
    members_dir = pathlib.Path(sys.argv[2])
    failed = False
    for segment, expected in sorted(expected_segments(rows).items()):
        members_file = members_dir / f"{segment}.txt"
        actual = set(members_file.read_text().split())
        status = "ok" if actual == expected else "DIFFERENT"
        print(f"{segment:22} expected {len(expected):6} engine {len(actual):6} {status}")
        if actual != expected:
            failed = True
            print(f"  missing from engine: {sorted(expected - actual)[:10]}")
            print(f"  unexpected in engine: {sorted(actual - expected)[:10]}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
