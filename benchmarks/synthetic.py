"""Synthetic registers of N sites x M risks for the benchmarks (not part of the package or tests).

Every risk is a ``site_event`` risk with its own hazard (``hz01`` ... ``hzM``) at every site, so
the register has N x M event links. Sites are spread over a few regions; the first regions have
``common_events`` (regional shocks) for about half of the hazards. Each risk has 0-3 controls
from a pool of M controls with frequency, severity and downtime effects (some limited to one
region). The matching scenario gives frequency and severity multipliers for every hazard.

Rates are calibrated so that, in the benchmark year (2050, the register's long term), the
expected number of events per simulated year is ``rate`` per link (default 0.34: about 136
events per year on 400 links, the issue's reference workload), common shocks included::

    events/yr = sum over links of F_h * (local rate + sum over the region's shocks of R_g * p_g)

With ``--layout rows`` the same links and events are laid out as *many rows*
(:func:`build_rows`): one risk per site-hazard link, each with one control limited to its site.

Usage::

    python benchmarks/synthetic.py --sites 40 --risks 10 --out /tmp/crbench/40x10
    python benchmarks/synthetic.py --sites 40 --risks 10 --layout rows --out /tmp/crbench/rows40x10

writes ``DIR/register/`` (a register folder), ``DIR/scenario.yaml`` and ``DIR/summary.json``
(links, expected events per year, controls).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import yaml

BASELINE, YEAR = 2023, 2050
"""Register baseline year and the benchmark year (rates are calibrated for it)."""

KINDS = ("self_built_dc", "leased_dc", "leased_dc", "office")


class _NoAliases(yaml.SafeDumper):
    """Write shared objects in full: climaterisk refuses YAML anchors and aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _sig(x: float, digits: int = 6) -> float:
    """``x`` rounded to ``digits`` significant digits (keeps the YAML short)."""
    return float(f"{x:.{digits}g}")


def n_regions(sites: int) -> int:
    return max(1, min(4, sites))


def build(sites: int, risks: int, seed: int = 0, rate: float = 0.34) -> tuple[dict, dict, dict]:
    """``(register files, scenario, summary)`` as plain dicts (the YAML content)."""
    if sites < 1 or risks < 1:
        raise ValueError("sites and risks must be >= 1")
    rng = np.random.default_rng(seed)
    hazards = [f"hz{k + 1:02d}" for k in range(risks)]
    regions = [f"region{r + 1}" for r in range(n_regions(sites))]
    site_region = [i % len(regions) for i in range(sites)]
    # which regions have a regional shock for which hazard: the first half of the regions,
    # every other hazard (shifted by region)
    shocked = {
        (r, k) for r in range((len(regions) + 1) // 2) for k in range(risks) if (k + r) % 2 == 0
    }
    # scenario frequency multiplier in YEAR per hazard (relative to the baseline year)
    freq = rng.uniform(1.0, 1.6, size=risks)
    sev = rng.uniform(1.0, 1.3, size=risks)
    # raw local rates (a spread of a factor ~10 between sites) and raw regional shocks
    local = rng.lognormal(mean=0.0, sigma=0.6, size=(sites, risks))
    members = np.bincount(site_region, minlength=len(regions))
    # (raw regional rate, footprint): about a third of a shocked link's events are regional
    shock = {(r, k): (rng.uniform(0.8, 2.5), rng.uniform(0.2, 0.5)) for (r, k) in sorted(shocked)}
    # expected events per year in YEAR before scaling; scale rates to hit `rate` per link
    raw = float((local * freq).sum())
    raw += sum(freq[k] * r_g * p * members[r] for (r, k), (r_g, p) in shock.items())
    scale = rate * sites * risks / raw
    local_rates = np.vectorize(_sig)(local * scale)
    shock = {key: (_sig(r_g * scale), _sig(p, 3)) for key, (r_g, p) in shock.items()}

    register = {
        "format_version": 2, "id": f"synthetic-{sites}x{risks}",
        "organisation": f"Synthetic Co ({sites} sites x {risks} risks)",
        "description": "Synthetic register for the climaterisk benchmarks (benchmarks/synthetic.py).",
        "reporting_period": {"start": f"{BASELINE}-01-01", "end": f"{BASELINE}-12-31"},
        "as_of": f"{BASELINE}-12-31", "currency": "EUR", "baseline_year": BASELINE,
        "horizons": {"short": 2025, "medium": 2030, "long": YEAR},
        "governance": "Synthetic benchmark register.", "risk_management": "Synthetic benchmark register.",
    }
    region_list = []
    for r, rid in enumerate(regions):
        entry: dict = {"id": rid, "name": f"Region {r + 1}"}
        events = [{"hazard": hazards[k], "rate": shock[(r, k)][0], "footprint": shock[(r, k)][1]}
                  for k in range(risks) if (r, k) in shock]
        if events:
            entry["common_events"] = events
        region_list.append(entry)
    value = rng.lognormal(mean=math.log(5e8), sigma=1.0, size=sites)
    site_list = []
    for i in range(sites):
        site_list.append({
            "id": f"s{i + 1:05d}", "name": f"Site {i + 1}", "kind": KINDS[i % len(KINDS)],
            "region": regions[site_region[i]],
            "replacement_value": _sig(value[i], 4),
            "interruption_cost_per_day": _sig(value[i] * rng.uniform(0.001, 0.01), 4),
            "hazards": {hazards[k]: float(local_rates[i, k]) for k in range(risks)},
        })

    # controls: a pool of `risks` controls; risk k takes k % 4 of them (0, 1, 2, 3, 0, ...)
    controls = []
    for c in range(risks):
        effect: dict = {}
        if c % 3 != 1:
            effect["frequency"] = _sig(rng.uniform(0.1, 0.4), 2)
        if c % 3 != 0:
            effect["severity"] = _sig(rng.uniform(0.1, 0.3), 2)
        if c % 2 == 0:
            effect["downtime"] = _sig(rng.uniform(0.2, 0.5), 2)
        control = {
            "id": f"C{c + 1:02d}", "title": f"Control {c + 1}",
            "type": "preventive" if "frequency" in effect else "corrective",
            "status": "implemented", "effect": effect, "owner": "Operations",
        }
        if c % 4 == 3 and len(regions) > 1:
            control["sites"] = {"region": [regions[c % len(regions)]]}
        controls.append(control)
    risk_list = []
    n_links_controlled = 0
    for k in range(risks):
        chosen = [f"C{(k + j) % risks + 1:02d}" for j in range(min(k % 4, risks))]
        n_links_controlled += sites if chosen else 0
        p5 = _sig(rng.uniform(0.002, 0.01), 3)
        model: dict = {"type": "site_event", "hazard": hazards[k],
                       "damage": {"p5": p5, "p95": _sig(p5 * rng.uniform(10, 40), 3)}}
        if k % 3 != 2:
            d5 = _sig(rng.uniform(0.2, 1.0), 3)
            model["downtime_days"] = {"p5": d5, "p95": _sig(d5 * rng.uniform(5, 20), 3)}
        risk_list.append({
            "id": f"R{k + 1:03d}", "title": f"Acute hazard {hazards[k]}", "category": "physical_acute",
            "ifrs_s2_type": "physical", "impact": "Damage and downtime at sites.",
            "time_horizons": ["medium", "long"], "owner": "Operations",
            "rating": {"likelihood": 1 + k % 5, "impact": 1 + (k * 3) % 5},
            "sites": "all", "controls": chosen, "models": [model],
        })
    files = {
        "register.yaml": register,
        "sites.yaml": {"regions": region_list, "sites": site_list},
        "risks.yaml": {"risks": risk_list},
        "controls.yaml": {"controls": controls},
    }

    def series(values: dict, unit: str = "-") -> dict:
        return {"unit": unit, "description": "synthetic", "source": "assumption: synthetic benchmark",
                "values": values}

    def ramp(end: float) -> dict:
        return {BASELINE: 1.0, 2030: _sig(1.0 + (end - 1.0) * 7 / 27), YEAR: float(end), 2060: float(end)}

    scenario = {
        "format_version": 1, "id": f"synthetic-{sites}x{risks}", "name": "Synthetic benchmark scenario",
        "cmip6": "none", "transition": {"ngfs": ["none"], "narrative": "Synthetic."},
        "description": "Hazard multipliers for every synthetic hazard (benchmarks/synthetic.py).",
        "baseline_year": BASELINE,
        "drivers": {
            "local_warming_c": series({BASELINE: 0.0, YEAR: 1.0, 2060: 1.2}, "°C"),
            "carbon_price_usd_t": series({BASELINE: 10.0, YEAR: 100.0, 2060: 120.0}, "USD/t"),
        },
        "hazards": {
            hz: {"frequency": series(ramp(_sig(freq[k]))), "severity": series(ramp(_sig(sev[k])))}
            for k, hz in enumerate(hazards)
        },
    }
    # expected events use the rounded multipliers actually written
    freq_w = np.array([_sig(f) for f in freq])
    expected = float((local_rates * freq_w).sum()) + sum(
        freq_w[k] * r_g * p * members[r] for (r, k), (r_g, p) in shock.items())
    summary = {
        "sites": sites, "risks": risks, "links": sites * risks, "regions": len(regions),
        "common_groups": len(shock), "controls": len(controls),
        "links_with_controls": n_links_controlled, "year": YEAR,
        "expected_events_per_year": expected, "events_per_link_per_year": expected / (sites * risks),
        "seed": seed,
    }
    return files, scenario, summary


def build_rows(sites: int, risks: int, seed: int = 0, rate: float = 0.34) -> tuple[dict, dict, dict]:
    """The *many-rows* layout of the same links and events as :func:`build`: one risk per
    site-hazard link (``sites`` x ``risks`` risks, each on one site) and one control per link,
    limited to that link's site, with the effects of one of the pool controls (its risk's first
    control, else pool control ``(site + hazard) % risks``). Same sites, hazards, rates, regional
    shocks and scenario, so the same expected events per year (issue 19)."""
    files, scenario, summary = build(sites, risks, seed, rate)
    pool = {c["id"]: c for c in files["controls.yaml"]["controls"]}
    pool_ids = sorted(pool)
    site_ids = [s["id"] for s in files["sites.yaml"]["sites"]]
    risk_list, controls = [], []
    for i, sid in enumerate(site_ids):
        for k, base in enumerate(files["risks.yaml"]["risks"]):
            source = pool[base["controls"][0]] if base["controls"] else pool[pool_ids[(i + k) % risks]]
            cid = f"C{k + 1:03d}-{sid}"
            controls.append({**source, "id": cid, "title": f"{source['title']} at {sid}",
                             "sites": {"ids": [sid]}})
            risk_list.append({**base, "id": f"R{k + 1:03d}-{sid}", "title": f"{base['title']} at {sid}",
                              "sites": [sid], "controls": [cid]})
    files["risks.yaml"] = {"risks": risk_list}
    files["controls.yaml"] = {"controls": controls}
    files["register.yaml"] = {**files["register.yaml"], "id": f"synthetic-rows-{sites}x{risks}",
                              "organisation": f"Synthetic Co ({sites} sites, {len(risk_list)} risk lines)"}
    summary = {**summary, "layout": "rows", "risks": len(risk_list), "controls": len(controls),
               "links_with_controls": len(risk_list)}
    return files, scenario, summary


def write(out: Path, sites: int, risks: int, seed: int = 0, rate: float = 0.34, layout: str = "grid") -> dict:
    """Write ``out/register/``, ``out/scenario.yaml`` and ``out/summary.json``; return the summary.
    ``layout``: ``grid`` (:func:`build`, M risks at every site) or ``rows`` (:func:`build_rows`,
    one risk and one site-scoped control per link)."""
    files, scenario, summary = (build_rows if layout == "rows" else build)(sites, risks, seed, rate)
    folder = out / "register"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        text = yaml.dump(data, Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=1000)
        (folder / name).write_text(text, encoding="utf-8")
    (out / "scenario.yaml").write_text(
        yaml.dump(scenario, Dumper=_NoAliases, sort_keys=False, allow_unicode=True), encoding="utf-8")
    summary = {**summary, "register": str(folder), "scenario": str(out / "scenario.yaml")}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, required=True, help="number of sites N")
    parser.add_argument("--risks", type=int, required=True, help="number of site_event risks M")
    parser.add_argument("--out", type=Path, required=True, help="output folder (register/, scenario.yaml)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generator (default 0)")
    parser.add_argument("--rate", type=float, default=0.34,
                        help="expected events per link per year in 2050 (default 0.34)")
    parser.add_argument("--layout", choices=("grid", "rows"), default="grid",
                        help="grid: M risks at every site (default); rows: one risk and one "
                             "site-scoped control per site-hazard link (the many-rows layout)")
    args = parser.parse_args(argv)
    summary = write(args.out, args.sites, args.risks, args.seed, args.rate, args.layout)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
