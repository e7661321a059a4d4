"""Benchmark: generate the synthetic SME world and report speed and memory.

    uv run python bench/world.py --enterprises 100000 --seed 20261123

Prints enterprises per second, total seconds, peak memory (resident set size of this
process), sandbox fetch latency, and as its last line one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

from puhui.datahub.payloads import SourceName
from puhui.datahub.sandbox import SandboxProvider
from puhui.datahub.world import generate_world


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> dict[str, float | int | str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--fetches", type=int, default=2_000, help="sandbox fetches to time")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    world = generate_world(args.enterprises, args.seed, months=args.months)
    generate_s = time.perf_counter() - started
    peak_generate_mb = _peak_rss_mb()

    started = time.perf_counter()
    fingerprint = world.fingerprint()
    fingerprint_s = time.perf_counter() - started

    started = time.perf_counter()
    provider = SandboxProvider(world)
    usccs = world.enterprises["uscc"].to_list()
    for source in SourceName:  # build the lazy indexes outside the timed loop
        provider.fetch(source, usccs[0])
    index_s = time.perf_counter() - started
    sources = list(SourceName)
    started = time.perf_counter()
    for i in range(args.fetches):
        provider.fetch(sources[i % len(sources)], usccs[(i * 7919) % len(usccs)])
    fetch_ms = (time.perf_counter() - started) * 1000 / max(args.fetches, 1)

    figures: dict[str, float | int | str] = {
        "bench": "world",
        "enterprises": args.enterprises,
        "months": args.months,
        "seed": args.seed,
        "panel_rows": world.panel.height,
        "people": world.people.height,
        "generate_seconds": round(generate_s, 3),
        "enterprises_per_second": round(args.enterprises / generate_s, 1),
        "peak_rss_mb_after_generate": round(peak_generate_mb, 1),
        "fingerprint_seconds": round(fingerprint_s, 3),
        "sandbox_index_seconds": round(index_s, 3),
        "sandbox_fetch_ms": round(fetch_ms, 4),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "fingerprint": fingerprint,
    }
    print(f"enterprises:            {args.enterprises:,} x {args.months} months")
    print(f"generate:               {generate_s:.2f} s")
    print(f"enterprises/s:          {args.enterprises / generate_s:,.0f}")
    print(f"peak memory (RSS):      {peak_generate_mb:,.0f} MB after generate")
    print(f"fingerprint:            {fingerprint_s:.2f} s  {fingerprint[:16]}...")
    print(f"sandbox fetch:          {fetch_ms:.3f} ms mean over {args.fetches:,} fetches")
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
