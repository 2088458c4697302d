"""Time the one-at-a-time sensitivity sweep (``climaterisk sensitivity``) on the shipped register.

Runs :func:`climaterisk.analysis.sensitivity.sensitivity` on ``kuaishou-2023`` under rcp45 at
its default trials (20,000 per run) for each thread count asked for, after a small warm-up,
and prints one line per run: inputs swept, runs, wall-clock seconds, and the split between
compiling and simulating is in ``docs/performance.md``. The end-to-end command is timed as
``/usr/bin/time climaterisk sensitivity --scenario rcp45 --workers 2 --format json -o FILE``.

    python benchmarks/sensitivity.py --workers 1 --workers 2
"""

from __future__ import annotations

import argparse
import time

from climaterisk import load_register
from climaterisk.analysis.sensitivity import SENSITIVITY_TRIALS, sensitivity
from climaterisk.scenarios import load_scenario

TARGET_S = 30.0
"""Issue 15's target for the full sweep on 2 cores [s]."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, action="append", help="threads; repeat (default: 2)")
    parser.add_argument("--trials", type=int, default=SENSITIVITY_TRIALS)
    parser.add_argument("--scenario", default="rcp45")
    args = parser.parse_args(argv)
    register, scenario = load_register(), load_scenario(args.scenario)
    sensitivity(register, scenario, trials=1_000, horizons=[2050], workers=1)  # warm-up
    for workers in args.workers or [2]:
        start = time.perf_counter()
        result = sensitivity(register, scenario, trials=args.trials, workers=workers)
        seconds = time.perf_counter() - start
        used = sum(any(s.used for s in i.swings) for i in result.inputs)
        print(f"{workers} thread(s), {args.trials:,} trials: {len(result.inputs)} inputs swept "
              f"({used} reach the model), {result.runs} runs, {seconds:.1f} s "
              f"({seconds / TARGET_S:.0%} of the {TARGET_S:.0f} s target)")


if __name__ == "__main__":
    main()
