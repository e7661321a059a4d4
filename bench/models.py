"""Held-out figures of the scorecard and the challenger on a synthetic-world sample.

    uv run python bench/models.py --enterprises 12000 --seed 5

Generates the world, computes every lending enterprise's features with the decision's own
feature function (`decisioning.world_training.world_feature_frame`), then fits and measures both
models as `puhui model evaluate --csv` does (`scorecards.evaluation.evaluate_table`, 70/30
stratified, split seed 42), with the world's monotone constraints for the challenger. Prints one
JSON line. German Credit and any CSV: `puhui model evaluate` (docs/models.md).
"""

from __future__ import annotations

import argparse
import json
import time

from puhui.datahub.world import generate_world
from puhui.decisioning.world_training import TARGET, WORLD_MONOTONE, world_feature_frame
from puhui.scorecards.evaluation import evaluate_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=12_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--split-seed", type=int, default=42)
    args = parser.parse_args()
    started = time.perf_counter()
    frame = world_feature_frame(generate_world(args.enterprises, args.seed))
    result = evaluate_table(
        frame,
        TARGET,
        dataset=f"world {args.enterprises} seed {args.seed}",
        seed=args.split_seed,
        exclude=["enterprise_index"],
        monotone=WORLD_MONOTONE,
    )
    summary = {**result.summary(), "seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
