"""The scaling figure of docs/performance.md from a results.json written by benchmarks/run.py.

Usage::

    python benchmarks/plot.py /tmp/climaterisk-bench/results.json docs/performance-scaling.png

Left: time against links at 100,000 trials; right: time against trials for each register size.
Both log-log. Hollow markers are extrapolated: an engine case run on fewer trials than asked
(time scaled to the trials asked) or an end-to-end run stopped by its timeout (time projected
from the share of trials it had done).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

SERIES = {  # key -> (label, colour, marker)
    "reference": ("plain numpy reference, 1 thread", "tab:gray", "s"),
    "engine1": ("engine (simulate), 1 thread", "tab:blue", "o"),
    "engine2": ("engine (simulate), 2 threads", "tab:green", "^"),
    "e2e json": ("climaterisk assess --format json", "tab:red", "D"),
    "e2e table": ("climaterisk assess (table)", "tab:orange", "v"),
}


def points(results: dict) -> list[dict]:
    """One point per (series, links, trials): seconds for the trials asked, and whether it is
    extrapolated."""
    out = []
    for case in results["cases"]:
        best = case.get("best") or {}
        if case["kind"] == "engine" and best.get("engine"):
            e = best["engine"]
            scale = case["trials"] / e["trials_run"]
            for key in ("reference", "engine1", "engine2"):
                out.append({"series": key, "links": case["links"], "trials": case["trials"],
                            "seconds": e[key]["wall_s"] * scale, "extrapolated": scale != 1})
        elif case["kind"] == "e2e":
            key = f"e2e {case['format']}"
            if best.get("timed_out"):
                if best.get("progress"):
                    out.append({"series": key, "links": case["links"], "trials": case["trials"],
                                "seconds": best["wall_s"] / best["progress"], "extrapolated": True})
            elif best.get("exit") == 0:
                out.append({"series": key, "links": case["links"], "trials": case["trials"],
                            "seconds": best["wall_s"], "extrapolated": False})
    return out


def draw(ax, pts: list[dict], x: str, group: str | None = None) -> None:  # type: ignore[no-untyped-def]
    for key, (label, colour, marker) in SERIES.items():
        mine = [p for p in pts if p["series"] == key]
        groups = sorted({p[group] for p in mine}) if group else [None]
        for g in groups:
            line = sorted((p for p in mine if group is None or p[group] == g), key=lambda p: p[x])
            if not line or (group and len(line) < 2):  # a curve needs two trial counts
                continue
            xs, ys = [p[x] for p in line], [p["seconds"] for p in line]
            style = "-" if g is None or g == groups[-1] else "--"
            ax.plot(xs, ys, style, color=colour, lw=1.2,
                    label=label if g == groups[-1] or g is None else None)
            if g is not None:
                ax.annotate(f"{g:,} links", (xs[-1], ys[-1]), xytext=(4, 0), textcoords="offset points",
                            fontsize=7, color=colour, va="center")
            for p in line:
                ax.plot(p[x], p["seconds"], marker, color=colour, ms=6,
                        mfc="white" if p["extrapolated"] else colour)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)


def plot(results: dict, out: Path) -> None:
    pts = points(results)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6))
    draw(left, [p for p in pts if p["trials"] == 100_000], "links")
    left.set_xlabel("event links (sites x risks)")
    left.set_ylabel("wall time [s]")
    left.set_title("100,000 trials")
    left.legend(fontsize=8, loc="upper left")
    multi = {p["links"] for p in pts if p["trials"] != 100_000}
    draw(right, [p for p in pts if p["links"] in multi], "trials", group="links")
    right.set_xlabel("trials")
    right.set_ylabel("wall time [s]")
    right.set_title("by trials (dashed: the smaller register)")
    right.set_xlim(right=right.get_xlim()[1] * 2.5)
    m = results["machine"]
    fig.suptitle(f"climaterisk on {m['nproc']} cores ({m['cpu_model']}), numpy {m['numpy']}; "
                 "hollow markers: extrapolated", fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("png", type=Path)
    args = parser.parse_args(argv)
    plot(json.loads(args.results.read_text(encoding="utf-8")), args.png)


if __name__ == "__main__":
    main()
