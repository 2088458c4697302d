"""Turn results into text: terminal tables, Markdown, CSV and JSON. No computation here.

Register and scenario text is escaped per format here, with the helpers of
:mod:`climaterisk.escape`: in Markdown every table cell, header and line of register text goes
through :func:`~climaterisk.escape.md_escape` (HTML entities, Markdown specials and the table pipe
escaped); in CSV every text cell a spreadsheet could run as a formula is neutralised. Terminal
text needs no escaping: the register's text policy refuses control characters at validation.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tabulate import tabulate

from climaterisk.analysis.graph import Gap
from climaterisk.analysis.results import Assessment, HorizonResult, Line
from climaterisk.errors import Problem
from climaterisk.escape import md_escape, neutralise
from climaterisk.outputs.frames import MEASURES, summary
from climaterisk.register import Register
from climaterisk.register.certification import STATUS_LABELS
from climaterisk.scenarios import Scenario

if TYPE_CHECKING:  # pandas is imported when a frame is made: it costs a quarter second
    import pandas as pd



def _grid(rows: list, headers: list, markdown: bool, plain: str = "simple", **options: object) -> str:
    """A tabulate table: GitHub Markdown with every text cell and header escaped, or terminal text
    in the ``plain`` table format."""
    if markdown:
        rows = [[md_escape(c) if isinstance(c, str) else c for c in row] for row in rows]
        headers = [md_escape(h) for h in headers]
        return tabulate(rows, headers=headers, tablefmt="github", **options)
    return _fitted(rows, headers, plain, options)


_NUMBER = re.compile(r"[-+±]?[\d,.]+%?|-|")


def _fitted(rows: list, headers: list, plain: str, options: dict) -> str:
    """A terminal table no wider than :data:`TABLE_WIDTH`: while it is wider, its widest text
    column (a column not all numbers, wider than 10) wraps narrower, header included."""
    text = tabulate(rows, headers=headers, tablefmt=plain, **options)
    n = len(headers)
    wrappable = [any(isinstance(r[i], str) and not _NUMBER.fullmatch(r[i].strip())
                     for r in rows if len(r) > i) for i in range(n)]
    narrowest: set[int] = set()  # text columns already at the narrowest width
    for _ in range(4 * n):
        over = max(map(len, text.splitlines() or [""])) - TABLE_WIDTH
        rule = next((line for line in text.splitlines()
                     if "-" in line and re.fullmatch(r"[-+=|: ]+", line)), "")
        widths = [len(run) for run in re.findall(r"-+", rule)]
        if over <= 0 or len(widths) != n:
            break
        candidates = [i for i in range(n) if wrappable[i] and widths[i] > 10 and i not in narrowest]
        if not candidates:  # numbers under long headers: the headers wrap to their numbers' width
            cells = [max([len(str(r[i])) for r in rows if len(r) > i] + [6]) for i in range(n)]
            given = options.get("maxheadercolwidths")
            given = list(given) if isinstance(given, (list, tuple)) else [given] * n
            limits = [given[i] if wrappable[i] else cells[i] for i in range(n)]
            if options.get("maxheadercolwidths") == limits:
                break
            options["maxheadercolwidths"] = limits
            text = tabulate(rows, headers=headers, tablefmt=plain, **options)
            continue
        j = max(candidates, key=lambda i: widths[i])
        for key in ("maxcolwidths", "maxheadercolwidths"):
            limits = options.get(key)
            limits = list(limits) if isinstance(limits, (list, tuple)) else [limits] * n
            limits[j] = max(10, min(widths[j], limits[j] or widths[j]) - over - (2 if plain == "grid" else 0))
            options[key] = limits
        if limits[j] == 10:
            narrowest.add(j)
        text = tabulate(rows, headers=headers, tablefmt=plain, **options)
    return text


def _wrap(text: str, markdown: bool) -> str:
    """A paragraph as it is for Markdown, wrapped to :data:`TABLE_WIDTH` for the terminal."""
    return text if markdown else "\n".join(textwrap.wrap(text, TABLE_WIDTH, break_on_hyphens=False))


def _md(text: str, markdown: bool) -> str:
    """Register text for a line of Markdown (escaped), or as it is for the terminal."""
    return md_escape(text) if markdown else text


def money(x: float) -> str:
    """Whole currency units with thousands separators: ``1234567.8 -> '1,234,568'``."""
    return f"{x:,.0f}" if math.isfinite(x) else str(x)


def _label(h: HorizonResult) -> str:
    return f"{h.year} ({h.label} term)" if h.label else str(h.year)


def short(text: str, width: int = 44) -> str:
    """``text`` cut to ``width`` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


TABLE_WIDTH = 120
"""Widest line of a terminal table [characters]: long text is cut (with …) or wrapped to fit;
``--format json`` and ``csv`` give every field in full."""


def _rows(lines: Iterable[Line], with_category: bool = True, width: int = 44) -> list[list[str]]:
    """A row per line: id, title, category, inherent and residual EAL and VaR 99% in millions of
    the currency (3 significant figures, :func:`sig`)."""
    rows = []
    for line in lines:
        row = [line.id, short(line.title, width)]
        if with_category:
            row.append(line.category)
        row += [mill(line.inherent.mean), mill(line.residual.mean),
                mill(line.inherent.var99), mill(line.residual.var99)]
        rows.append(row)
    return rows


def assessment_text(result: Assessment, markdown: bool = False) -> str:
    """The assessment as terminal tables (or Markdown): a row per risk, per horizon."""
    reg, sc, cur = result.register, result.scenario, result.register.currency
    head = "## " if markdown else ""
    out = [
        f"{'# ' if markdown else ''}Climate risk assessment: {_md(reg.organisation, markdown)} "
        f"(register {reg.id}, as of {reg.as_of.isoformat()})",
        "",
        _wrap(_md(f"Scenario {sc.id}: {sc.name}; transition narrative: {', '.join(sc.ngfs)}.", markdown),
              markdown),
        _wrap((f"{result.trials:,} trials, seed {result.seed}. " if result.manifest.get("method") != "fft"
               else "Exact distributions (discretisation and FFT), no sampling. ")
              + f"Money columns: annual loss in {cur} m (millions) per year, 3 significant figures. "
              "EAL = expected annual loss; VaR 99% = annual loss exceeded once in 100 years; "
              "inherent = without controls, residual = with the controls in force that year.", markdown),
    ]
    money_cols = ["EAL inherent", "EAL residual", "VaR99 inherent", "VaR99 residual"]
    for h in result.horizons:
        out += ["", f"{head}Horizon {_label(h)}", ""]
        width = 200 if markdown else 26
        rows = _rows(h.by_risk, width=width)
        rows.append(["", "Total", "", *_rows([h.total], with_category=False)[0][2:]])
        out.append(_grid(rows, ["risk", "title", "category", *money_cols], markdown,
                         colalign=("left", "left", "left", *["right"] * 4), disable_numparse=True))
        rse = h.total.residual.se / h.total.residual.mean if h.total.residual.mean else 0.0
        if result.manifest.get("method") != "fft":
            out += ["", f"Standard error of total residual EAL: {cur} {sig(h.total.residual.se, 2)} m "
                        f"({rse:.2%} of the mean)."]
        coarse = [x.split(" ", 1)[1] for x in result.manifest.get("exact_unresolved", [])
                  if x.startswith(f"{h.year} ")]
        if coarse:
            out += ["", "Warning: the exact method could not resolve the narrow body of "
                        f"{', '.join(coarse)} next to much larger rare losses; its VaR and TVaR "
                        "there are approximate. Use the Monte Carlo method (the default) for them."]
        if h.opportunities:
            out += ["", f"Opportunities in {h.year}: expected annual benefit ({cur} m/yr)", ""]
            opp = [[o.id, short(o.title, width), o.category, mill(o.inherent.mean)]
                   for o in h.opportunities]
            out.append(_grid(opp, ["opportunity", "title", "category", f"expected benefit ({cur} m)"],
                             markdown, colalign=("left", "left", "left", "right"), disable_numparse=True))
    return "\n".join(out) + "\n"


LEVEL_ORDER = ("total", "risk", "category", "site", "opportunity")
"""The order of the levels within a horizon in the CSV output."""


def assessment_frame(result: Assessment) -> pd.DataFrame:
    """Long table: one row per (year, level, id, basis) with every measure [currency/yr]: the
    tidy tables of :func:`climaterisk.outputs.frames.summary` of every level, with a ``level``
    column, year by year."""
    import pandas as pd

    parts = [summary(result, level).assign(level=level, order=k) for k, level in enumerate(LEVEL_ORDER)]
    frame = pd.concat(parts, ignore_index=True).sort_values(["year", "order"], kind="stable")
    columns = ["scenario", "year", "level", "id", "title", "category", "basis", *MEASURES]
    return frame[columns].reset_index(drop=True)


def assessment_csv(result: Assessment) -> str:
    """The long table of :func:`assessment_frame` as CSV, formula-like text neutralised."""
    frame = assessment_frame(result)
    for column in ("scenario", "level", "id", "title", "category", "basis"):
        frame[column] = frame[column].map(neutralise)
    return frame.to_csv(index=False, float_format="%.2f")


def to_json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def problems_text(problems: Iterable[Problem]) -> str:
    """One line per problem."""
    return "\n".join(f"error: {p}" for p in problems)


def scenarios_text(scenarios: list[Scenario], years: list[int]) -> str:
    """Each scenario with its drivers and hazard multipliers at ``years``."""
    out = []
    for sc in scenarios:
        out += [f"{sc.id}: {sc.name}", f"  CMIP6 {sc.cmip6}; transition: {', '.join(sc.ngfs)}",
                f"  aliases: {', '.join(sc.aliases) or '-'}; years {sc.years[0]}-{sc.years[1]}; "
                f"file {sc.path}", ""]
        rows = []
        for name, series in sc.drivers.items():
            rows.append([name, series.unit, *_values(series, years)])
        for hazard, aspects in sc.hazards.items():
            for aspect, series in aspects.items():
                rows.append([f"{hazard} {aspect}", series.unit, *_values(series, years)])
        out.append(tabulate(rows, headers=["driver", "unit", *map(str, years)], tablefmt="simple"))
        out.append("")
    return "\n".join(out)


def _values(series, years: list[int]) -> list[str]:
    cells = []
    for y in years:
        if series.years[0] <= y <= series.years[-1]:
            cells.append(f"{series.at(y):.3g}")
        else:
            cells.append("-")
    return cells


# --------------------------------------------------------------------------- register and graph


def _date(d) -> str:  # type: ignore[no-untyped-def]
    return d.isoformat() if d else "never"


def register_text(register: Register, markdown: bool = False) -> str:
    """The register as the committee knows it: risks with impact and controls; sites; controls."""
    head = "## " if markdown else ""
    widths = None if markdown else [16, 22, 40, 28]
    rows = []
    for risk in sorted(register.risks, key=lambda r: (r.category, r.id)):
        controls = "; ".join(f"{c} {register.control(c).title}" for c in risk.control_ids)
        rows.append([risk.category.replace("_", " "), f"{risk.id} {risk.title}",
                     " ".join(risk.narrative.split()), controls or "(none)"])
    out = [f"{'# ' if markdown else ''}Climate risk register: {_md(register.organisation, markdown)} "
           f"({register.id}, as of {register.as_of.isoformat()})", "",
           f"{head}Risks", "",
           _grid(rows, ["category", "risk", "impact", "controls"], markdown, plain="grid",
                 maxcolwidths=widths)]
    out += ["", f"{head}Ratings and treatment decisions", "", ratings_text(register, markdown=markdown)]
    cur = register.currency
    site_rows = []
    for s in sorted(register.sites, key=lambda s: s.id):
        cert = STATUS_LABELS[s.iso_status] + (
            f" until {s.iso_valid_until.isoformat()}" if s.iso_certified and s.iso_valid_until else "")
        hazards = ", ".join(f"{k} {v:g}/yr" for k, v in sorted(s.hazards.items())) or "-"
        site_rows.append([s.id, short(s.name, 18), s.kind, s.region, mill(s.replacement_value),
                          mill(s.interruption_cost_per_day), cert, hazards])
    out += ["", f"{head}Sites", "", _grid(
        site_rows, ["site", "name", "kind", "region", f"value ({cur} m)",
                    f"outage ({cur} m/day)", "ISO 22301", "local hazard rates"], markdown,
        maxcolwidths=None if markdown else [None, None, None, None, None, None, 16, 18],
        colalign=("left",) * 4 + ("right",) * 2 + ("left",) * 2, disable_numparse=True)]
    mitigates = {c.id: [r.id for r in register.risks if c.id in r.control_ids] for c in register.controls}
    ctrl_rows = []
    for c in sorted(register.controls, key=lambda c: (len(c.id), c.id)):
        status = f"{c.status} {c.effective_year}" if c.status == "planned" else c.status
        ctrl_rows.append([c.id, short(c.title, 44 if markdown else 24), c.type, status,
                          ", ".join(mitigates[c.id]) or "-",
                          ", ".join(c.clauses) or "-", c.owner or "-", _date(c.last_tested),
                          c.last_incident_review.isoformat() if c.last_incident_review else "-"])
    out += ["", f"{head}Controls", "", _grid(
        ctrl_rows, ["control", "title", "type", "status", "risks", "ISO 22301", "owner",
                    "last tested", "last incident review"], markdown,
        maxcolwidths=None if markdown else [None, None, None, None, 10, 12, 16, None, None])]
    return "\n".join(out) + "\n"


def ratings_text(register: Register, ranks: dict[str, int] | None = None, markdown: bool = False) -> str:
    """Each risk's inherent and residual rating (likelihood x impact, 1-5 each), its simulated rank
    by residual EAL when ``ranks`` is given, and the committee's treatment decision."""
    rows = []
    for r in sorted(register.risks, key=lambda r: (len(r.id), r.id)):
        t = r.treatment
        row = [r.id, short(r.title, 30), f"{r.likelihood} x {r.impact}" if r.likelihood else "-",
               f"{r.residual_likelihood} x {r.residual_impact}" if r.residual_likelihood else "-"]
        if ranks is not None:
            row.append(f"{ranks[r.id]} of {len(ranks)}" if r.id in ranks else "-")
        row += [t.decision if t else "-", (t.approver or "-") if t else "-",
                _date(t.date) if t and t.date else "-", _date(t.review_date) if t and t.review_date else "-"]
        rows.append(row)
    headers = ["risk", "title", "inherent", "residual", *(["simulated rank"] if ranks is not None else []),
               "treatment", "approver", "decided", "review by"]
    note = ("inherent and residual: likelihood x impact, 1-5 each (the committee's ratings); "
            + ("simulated rank: by residual EAL, 1 the largest; " if ranks is not None else "")
            + "'-': not given.")
    return _grid(rows, headers, markdown, maxcolwidths=None if markdown else [None, 30, None, None,
                 *([None] if ranks is not None else []), None, 24, None, None]) + "\n\n" + note


def gaps_text(gaps: list[Gap], register: Register, markdown: bool = False) -> str:
    """The register's gaps, a reason per row."""
    assumed = sum(bool(g.assumed) for g in gaps)
    title = (f"Gaps in register {register.id} as of {register.as_of.isoformat()}: "
             f"{len(gaps)} finding(s), {assumed} of them resting on inputs marked as assumptions")
    if not gaps:
        return title + "\n"
    rows = [[g.rule, g.entity, g.reason] for g in gaps]
    return title + "\n\n" + _grid(rows, ["rule", "where", "reason"], markdown,
                                  maxcolwidths=None if markdown else [28, 26, 90]) + "\n"


# --------------------------------------------------------------------------- controls and coverage


def controls_text(result: Assessment, markdown: bool = False) -> str:
    """Each control's benefit per horizon, ranked, with the single points of failure."""
    cur = result.register.currency
    last = result.horizons[-1].year
    data = result.controls_dict()
    order = next(r for r in data["by_year"] if r["year"] == last)["ranking"]
    by_id = {c.id: c for c in result.controls or []}
    headers = ["control", "title", "type", "links"]
    for h in result.horizons:
        headers += [f"EAL {h.year}", "± s.e.", f"VaR99 {h.year}"]
    headers.append("return on cost")
    rows = []
    title_width = 36 if markdown else max(10, 36 - 10 * len(result.horizons))
    for cid in order:
        c = by_id[cid]
        row = [c.id, short(c.title, title_width), c.type, c.links]
        for b in c.benefits:
            row += [mill(b.eal), mill(b.eal_se, 2), mill(b.var99)]
        roi = c.benefits[-1].roi
        row.append("-" if roi is None else f"{roi:+.0%}")
        rows.append(row)
    out = [_wrap(f"Control benefits under {result.scenario.id} ({result.trials:,} trials, seed "
                 f"{result.seed}); {cur} m (millions) per year, residual loss without the control minus "
                 f"with all controls (EAL and VaR 99% benefit, ± standard error of the EAL benefit), "
                 f"ranked by EAL benefit in {last}.", markdown), "",
           _grid(rows, headers, markdown, colalign=("left",) * 3 + ("right",) * (len(headers) - 3),
                 disable_numparse=True)]
    for r in data["by_year"]:
        spf = r["single_points_of_failure"]
        removed = ", ".join(spf["largest_var99_increase_if_removed"]) or "-"
        out += ["", _wrap(f"Single points of failure in {r['year']}: largest VaR 99% increase if removed: "
                          f"{removed}; most risk-site links covered: "
                          f"{', '.join(spf['most_links_covered']) or '-'}.", markdown)]
    return "\n".join(out) + "\n"


def _pct(x: dict | None) -> str:
    if x is None:
        return "-"
    return f"{x['value']:.1%} ± {x['se']:.1%}"


def coverage_text(result: Assessment, markdown: bool = False) -> str:
    """Certification, clause and simulated exposure coverage of ISO 22301."""
    head = "## " if markdown else ""
    iso = result.iso22301()
    reg = result.register
    out = [f"{'# ' if markdown else ''}ISO 22301 coverage: {_md(reg.organisation, markdown)} ({reg.id}) "
           f"under {result.scenario.id}", "",
           _wrap(_md(f"Renewal assumption: {iso['renewal_assumption'] or iso['renewal']} (certificate "
                     f"cycle {iso['certification_cycle_years']:g} years).", markdown), markdown), "",
           f"{head}Certification by site kind", ""]
    periods = [("as of " + iso["certification"]["as_of"]["date"], iso["certification"]["as_of"])]
    periods += [(str(x["year"]), x) for x in iso["certification"]["by_year"]]
    rows = []
    for label, period in periods:
        for r in period["by_site_kind"]:
            rows.append([label, r["site_kind"], r["company"], r["lessor"], r["not_certified"],
                         r["unknown"], f"{r['certified']} of {r['sites']}",
                         f"{r['share_by_count']:.1%}", f"{r['share_by_value']:.1%}"])
    out.append(_grid(rows, ["when", "site kind", "company BCMS", "lessor", "not certified",
                            "unknown", "certified", "share by count", "share by value"], markdown))
    out += ["", _wrap("company BCMS: certified under the company's own BCMS; lessor: covered by the "
                      "lessor's or operator's certificate, not the company's BCMS; unknown: no information "
                      "(neither certified nor a gap).", markdown)]
    for clauses in iso["clauses"]:
        out += ["", f"{head}Clause-8 evidence by risk in {clauses['year']} "
                "(site kinds covered / all site kinds)", ""]
        ids = [c["id"] for c in clauses["clauses"]]
        rows = []
        for m in clauses["matrix"]:
            n = len(m["site_kinds"])
            cells = ([f"{len(m['clauses'][c]['covered_kinds'])}/{n}" for c in ids] if m["applicable"]
                     else ["n/a"] * len(ids))
            rows.append([m["risk"], short(m["title"], 34), *cells])
        out.append(_grid(rows, ["risk", "title", *ids], markdown))
        out.append(_wrap(_md(f"{len(clauses['gaps'])} gap(s); clause 8 applies to {clauses['applies_to']} "
                             "(n/a: not a disruption risk); clauses: " + "; ".join(
                                 f"{c['id']} {c['title']}" for c in clauses["clauses"]), markdown), markdown))
    out += ["", f"{head}Business impact analysis (ISO 22301 8.2.2)", ""]
    if iso["bia"]:
        rows = [[a["id"], short(a["name"], 30), a["priority"] or "-", f"{a['mtpd_days']:g}",
                 f"{a['rto_days']:g}", f"{a['rpo_hours']:g}", short(a["mbco"], 40),
                 ", ".join(f"{d['site']} ({d['iso22301']})" for d in a["depends_on_sites"]) or "-",
                 ", ".join(a["depends_on_activities"]) or "-"] for a in iso["bia"]]
        out.append(_grid(rows, ["activity", "name", "priority", "MTPD (days)", "RTO (days)",
                                "RPO (hours)", "MBCO", "sites", "activities"], markdown))
    else:
        out.append(_wrap("The register lists no activity of a business impact analysis (bia.yaml absent or "
                         "empty): clause 8.2.2 is evidenced only by controls citing it.", markdown))
    for exp in iso["exposure"]:
        out += ["", f"{head}Simulated exposure coverage in {exp['year']} (± standard error)", ""]
        measures = [
            ("disruptive events on certified sites", "events_on_certified_share"),
            ("  of which company BCMS certified", "events_on_company_certified_share"),
            ("  of which lessor certified", "events_on_lessor_certified_share"),
            ("disruptive events on sites of unknown status", "events_on_unknown_status_share"),
            ("downtime days on certified sites", "downtime_on_certified_share"),
            ("downtime days on sites of unknown status", "downtime_on_unknown_status_share"),
            ("acute losses on certified sites", "loss_on_certified_share"),
            ("acute losses on sites of unknown status", "loss_on_unknown_status_share"),
            ("P(≥1 disruptive event at a site known to be uncertified) per year",
             "p_event_at_uncertified_site"),
            ("P(≥1 disruptive event at a site of unknown status) per year",
             "p_event_at_unknown_status_site"),
            ("P(an outage longer than its site's RTO) per year", "p_downtime_exceeds_rto"),
            ("P(an outage longer than its site's MTPD) per year", "p_downtime_exceeds_mtpd"),
        ]
        rows = [[label, _pct(exp["inherent"][key]), _pct(exp["residual"][key])]
                for label, key in measures]
        out.append(_grid(rows, ["measure", "inherent", "residual"], markdown))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- history and review


def _snapshot_years(snapshot) -> dict[int, tuple[float, float]]:  # type: ignore[no-untyped-def]
    """Residual EAL and VaR 99% [currency/yr] of a snapshot's total, by horizon year (from its
    results; the headline year alone for a snapshot whose results hold no horizons)."""
    years = {h["year"]: (h["total"]["residual"]["mean"], h["total"]["residual"]["var99"])
             for h in (snapshot.results or {}).get("horizons", [])
             if isinstance(h, dict) and "total" in h}
    if not years and snapshot.headline_year and snapshot.residual_eal is not None:
        years[snapshot.headline_year] = (snapshot.residual_eal, snapshot.residual_var99 or math.nan)
    return years


def history_text(snapshots: list, markdown: bool = False) -> str:  # list[Snapshot]
    """The recorded snapshots, one row each, with the residual EAL and VaR 99% of every horizon
    recorded, in millions of the register's currency."""
    if not snapshots:
        return "No snapshots in this store yet: record one with climaterisk snapshot --quarter YYYYQn\n"
    per = [_snapshot_years(s) for s in snapshots]
    years = sorted({y for p in per for y in p})
    currencies = sorted({str((s.results or {}).get("currency")) for s in snapshots
                         if (s.results or {}).get("currency")})
    cur = "/".join(currencies) or "currency"
    rows = []
    for s, p in zip(snapshots, per, strict=True):
        row = [s.quarter, s.revision, s.created_utc[:16].replace("T", " "), s.register_sha256[:8],
               s.scenario_id]
        for y in years:
            row += [mill(p[y][0]) if y in p else "-", mill(p[y][1]) if y in p else "-"]
        rows.append(row)
    headers = ["quarter", "rev", "recorded UTC", "hash", "scenario"]
    for y in years:
        headers += [f"EAL {y}", f"VaR99 {y}"]
    note = (f"Residual EAL and VaR 99% of the total in {cur} m (millions) per year, 3 significant figures; "
            "'-': a horizon the snapshot did not run.")
    return (_grid(rows, headers, markdown, colalign=("left",) * 5 + ("right",) * (2 * len(years)),
                  disable_numparse=True) + "\n\n" + _wrap(note, markdown) + "\n")


def _value(v: object) -> str:
    text = "(none)" if v is None else str(v)
    return short(" ".join(text.split()), 60)


def review_text(pack: dict, currency: str, markdown: bool = False) -> str:
    """The quarterly review pack: register changes, movements and their attribution, overdue
    controls and targets."""
    head = "## " if markdown else ""
    cur, ago = pack["current"], pack["against"]
    label = (lambda x: f"{x['quarter']} rev {x['revision']} ({x['scenario']})") if "quarter" in cur else (
        lambda x: f"{x['register']} ({x['scenario']})")
    out = [f"{'# ' if markdown else ''}Quarterly review of register {pack['register']}: "
           f"{label(cur)} against {label(ago)}", ""]
    out += [f"{head}Register changes ({len(pack['changes'])})", ""]
    rows = []
    for ch in pack["changes"]:
        if ch["change"] != "changed":
            rows.append([ch["section"], ch["id"] or "(metadata)", ch["change"], "", "", ""])
        for f in ch["fields"]:
            rows.append([ch["section"], ch["id"] or "(metadata)", "changed", f["field"], _value(f["old"]),
                         _value(f["new"])])
    out.append(_grid(rows, ["section", "id", "change", "field", "old", "new"], markdown)
               if rows else "No change to the register.")
    out += ["", f"{head}Movement of residual loss ({currency} per year)", ""]
    rows = [[m["year"], m["id"], short(m["title"], 36), money(m["eal_before"]), money(m["eal_after"]),
             f"{m['eal_change']:+,.0f}", money(2 * m["eal_change_se"]),
             "yes" if m["significant"] else "no", money(m["var99_before"]), money(m["var99_after"])]
            for m in pack["movements"]]
    out.append(_grid(rows, ["year", "id", "title", "EAL before", "EAL now", "change",
                            "2 x s.e.", "beyond noise", "VaR 99% before", "VaR 99% now"], markdown))
    out += ["", f"{head}Why the total moved (the parts add up to the change)", ""]
    rows = [[a["year"], f"{a['total_change']:+,.0f}", f"{a['register']:+,.0f}", f"{a['scenario']:+,.0f}",
             f"{a['sampling_noise']:+,.0f}"] for a in pack["attribution"] if a["id"] == "total"]
    out.append(_grid(rows, ["year", "change", "register changes", "scenario changes",
                            "sampling noise"], markdown))
    out += ["", f"Top movers: {', '.join(pack['top_movers']) or '-'}."]
    if pack["rating_changes"]:
        out.append(_md("Rating changes: " + "; ".join(
            f"{r['id']} {r['field'].split('.')[-1]} {r['old']} -> {r['new']}"
            for r in pack["rating_changes"]), markdown))
    out += ["", f"{head}Controls overdue", ""]
    out += [f"- {_md(g['entity'], markdown)}: {_md(g['reason'], markdown)}"
            for g in pack["overdue_controls"]] or ["None."]
    out += ["", f"{head}Targets", ""]
    out.append(_grid([[t["id"], short(t["title"], 50), t["status"]] for t in pack["targets"]],
                     ["target", "title", "status"], markdown))
    return "\n".join(out) + "\n"


def fit_widths(rows: list[list[str]], headers: list[str], numeric: list[bool],
               width: int) -> list[int | None]:
    """Widths [characters] for the text columns of a terminal table so that it fits ``width``:
    numeric columns keep their width; text columns narrower than an equal share of the rest keep
    theirs, the wider ones share what is left equally (at least 10 each); None where a column
    needs no wrapping."""
    natural = [max([len(w) for w in str(h).split()] + [len(str(r[i])) for r in rows] + [1])
               for i, h in enumerate(headers)]
    spare = width - 2 * (len(headers) - 1) - sum(n for n, num in zip(natural, numeric, strict=True) if num)
    text = [i for i, num in enumerate(numeric) if not num]
    if sum(natural[i] for i in text) <= spare:
        return [None] * len(headers)
    wide = sorted(text, key=lambda i: natural[i])
    fitted: dict[int, int] = {}
    while wide:  # water-filling: the narrowest column keeps its width if it is under the share
        share = spare // len(wide)
        if natural[wide[0]] <= share:
            fitted[wide[0]] = natural[wide[0]]
            spare -= natural[wide[0]]
            wide.pop(0)
        else:
            fitted.update({i: max(10, share) for i in wide})
            break
    return [fitted[i] if i in fitted and fitted[i] < natural[i] else None for i in range(len(headers))]


def header_widths(rows: list[list[str]], headers: list[str], numeric: list[bool]) -> list[int | None]:
    """Header widths [characters] for a terminal table: a numeric column's header wraps to the
    width of its widest cell (at least 6, and at least its longest word, which is never cut), so
    long headers do not widen a column of numbers."""
    return [max([len(str(r[i])) for r in rows] + [6, *map(len, str(headers[i]).split())]) if num else None
            for i, num in enumerate(numeric)]


def blocks_text(blocks: list, markdown: bool = False, width: int | None = None) -> str:  # list[report.Block]
    """Paragraphs and tables of the document model as terminal or Markdown text (``climaterisk
    ghg``, ``climaterisk review``); with ``width`` terminal tables wrap their text columns to fit
    that many characters."""
    from climaterisk.outputs.publish import NUMERIC, format_cell
    from climaterisk.outputs.report.document import Table

    out: list[str] = []
    for block in blocks:
        if isinstance(block, Table):
            rows = [[format_cell(v, k) for v, k in zip(row, block.kinds, strict=True)] for row in block.rows]
            options: dict[str, object] = {"disable_numparse": True}
            if width and not markdown and rows:
                numeric = [k in NUMERIC for k in block.kinds]
                options["maxcolwidths"] = fit_widths(rows, block.columns, numeric, width)
                options["maxheadercolwidths"] = header_widths(rows, block.columns, numeric)
                options["colalign"] = ["right" if k in NUMERIC else "left" for k in block.kinds]
            title = block.title if not width else "\n".join(textwrap.wrap(block.title, width))
            out += [f"### {md_escape(block.title)}" if markdown else title, "",
                    _grid(rows, block.columns, markdown, **options)]
            if block.note:
                note = _md(block.note, markdown)
                out += ["", "\n".join(textwrap.wrap(note, width)) if width and not markdown else note]
        elif markdown:
            heading = re.match(r"(#{1,6} )(.*)", str(block), re.S)
            out.append(heading.group(1) + md_escape(heading.group(2)) if heading else md_escape(block))
        else:
            out.append(str(block))
        out.append("")
    return "\n".join(out)


def terminal_blocks(blocks: list, markdown: bool = False) -> str:  # list[report.Block]
    """:func:`blocks_text` for a command's output: in the terminal, paragraphs, table titles and
    tables fit :data:`TABLE_WIDTH` columns (text columns wrapped); Markdown as it is."""
    if markdown:
        return blocks_text(blocks, markdown=True)
    wrapped = [_wrap(b, False) if isinstance(b, str) else b for b in blocks]
    return blocks_text(wrapped, width=TABLE_WIDTH)


def mill(x: float, digits: int = 3) -> str:
    """An amount [currency] in millions for a terminal table: :func:`sig`, and "0" for an amount
    below one currency unit (a rounding residue such as 1e-16, not a value)."""
    return "0" if math.isfinite(x) and abs(x) < 1.0 else sig(x, digits)


def sig(x: float, digits: int = 3) -> str:
    """``x`` [currency] in millions to ``digits`` significant figures, the precision an amount
    driven by assumptions supports: ``519_512_345.0 -> '520'``, ``6_812_000 -> '6.81'``."""
    if not math.isfinite(x):
        return str(x)
    m = x / 1e6
    if m == 0:
        return "0"
    keep = digits - 1 - math.floor(math.log10(abs(m)))  # decimal places to keep (< 0: round to tens...)
    return f"{round(m, keep):,.{max(keep, 0)}f}"


def uncertainty_text(result: object, markdown: bool = False) -> str:  # UncertaintyResult
    """The two-level run: what we don't know, then per horizon each measure of the total loss
    in the default world, over the worlds (mean, 5th-95th percentile) and over all years pooled
    (predictive), in millions of the register's currency, 3 significant figures."""
    r = result  # an analysis.uncertainty.UncertaintyResult
    cur = r.register.currency  # type: ignore[attr-defined]
    lines = [f"What we don't know: {r.worlds} worlds x {r.trials:,} years each, "  # type: ignore[attr-defined]
             f"scenario {r.scenario.id} (common random numbers; {cur} m/yr, 3 significant figures)",  # type: ignore[attr-defined]
             ""]
    rows = [[_md(u.name, markdown), u.kind, _md(short(u.distribution, 60), markdown)]
            for u in r.unknowns]  # type: ignore[attr-defined]
    lines += [_grid(rows, ["unknown (default run: register input at its mean, scenario central)",
                           "kind", "distribution"], markdown)
              if rows else "No input is declared epistemic and the scenario gives no ranges.", ""]
    names = {"eal": "EAL", "var99": "VaR 99%", "tvar99": "TVaR 99%"}
    for y in r.years:  # type: ignore[attr-defined]
        rows = []
        for config in ("residual", "inherent"):
            for m, label in names.items():
                rg = y.ranges[config][m]
                rows.append([f"{config} {label}", sig(y.central[config][m]), sig(rg.mean),
                             f"{sig(rg.p5)} - {sig(rg.p95)}", sig(y.predictive[config][m])])
        lines += [f"{y.year}: total loss (opportunities excluded); inner Monte Carlo s.e. of one "
                  f"world's residual EAL {sig(y.noise_se['residual'])} m", "",
                  _grid(rows, ["measure", "default world", "mean of worlds", "5th - 95th pct of worlds",
                               "predictive (all years)"], markdown, disable_numparse=True,
                        colalign=("left", "right", "right", "right", "right")), ""]
        rows = [[_md(rid, markdown), sig(rg.mean), f"{sig(rg.p5)} - {sig(rg.p95)}"]
                for rid, rg in y.by_risk["residual"].items() if rg.p95 > 0 or rg.mean > 0]
        if rows:
            lines += [_grid(rows, [f"{y.year} risk", "residual EAL, mean", "5th - 95th pct"], markdown,
                            disable_numparse=True, colalign=("left", "right", "right")), ""]
    return "\n".join(lines).rstrip() + "\n"
