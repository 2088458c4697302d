"""The committee's quarterly pack as a document: a summary paragraph, what moved the numbers,
the register changes with their fields and units, the movement per risk, decisions, overdue
controls and targets (``climaterisk review``).

The pack is built from the review's results (:func:`climaterisk.history.review.review_quarter`)
as the same document model as the report (:mod:`climaterisk.outputs.report.document`), so it is
written as terminal text, Markdown or HTML made for print by the same code. Amounts are in
millions of the register's currency (thousands or units for a register whose losses are
smaller, :func:`scale_of`): a level to 3 significant figures, a change to one digit past the
first significant digit of twice its standard error (the precision the sampling supports), a
change with no sampling error (a deterministic one) to 3 significant figures. Risks that did not
move are left out of the movement table.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

from climaterisk.outputs.report.document import Block, Report, Section, Table

SINGULAR = {"risks": "risk", "controls": "control", "sites": "site", "regions": "region",
            "metrics": "metric", "targets": "target", "activities": "BIA activity",
            "opportunities": "opportunity", "register": "register.yaml", "ghg": "ghg.yaml",
            "plan": "plan.yaml", "parameters": "parameter"}


@dataclass(frozen=True)
class Scale:
    """The unit amounts are shown in: millions for a register whose losses run to millions,
    thousands or whole units for a smaller one."""

    factor: float
    suffix: str  # written after the currency: "m", "thousand" or ""

    def unit(self, currency: str) -> str:
        return f"{currency} {self.suffix}".strip()

    def money(self, x: float, currency: str) -> str:
        """``CNY 485 m``: an amount with its currency and unit."""
        return f"{currency} {self.level(x)} {self.suffix}".strip()

    def level(self, x: float, digits: int = 3) -> str:
        """An amount [currency] to ``digits`` significant figures in this unit."""
        if not math.isfinite(x):
            return str(x)
        v = x / self.factor
        if v == 0:
            return "0"
        keep = digits - 1 - math.floor(math.log10(abs(v)))
        return f"{round(v, keep):,.{max(keep, 0)}f}"

    def places(self, x: float, se: float) -> int | None:
        """The decimals [in this unit] a change ``x`` [currency] is shown to: one digit past the
        first significant digit of twice its standard error ``se``, or None (3 significant
        figures) with no sampling error."""
        if se <= 0 or not math.isfinite(se):
            if x == 0 or not math.isfinite(x):
                return None
            return max(2 - math.floor(math.log10(abs(x) / self.factor)), 0)
        return min(max(1 - math.floor(math.log10(2 * se / self.factor)), 0), 8)

    def change(self, x: float, se: float, places: int | None = None) -> str:
        """A change [currency] with its sign, to one digit past the first significant digit of
        twice its standard error ``se``; with no sampling error, to 3 significant figures;
        ``places`` (decimals in this unit) overrides both, so that the parts of one movement are
        shown to the precision of their sum and add up on the page."""
        if x == 0:
            return "0"
        if places is None and (se <= 0 or not math.isfinite(se)):
            return ("+" if x > 0 else "") + self.level(x)
        decimals = places if places is not None else self.places(x, se)
        text = f"{x / self.factor:+,.{decimals}f}"
        return text[1:] if float(text) == 0 else text  # "0.00", not "-0.00", for a change that rounds to 0


def scale_of(pack: dict) -> Scale:
    """Millions when the largest residual EAL compared is at least a million, else thousands
    when at least a thousand, else whole units."""
    top = max([abs(m[k]) for m in pack["movements"] for k in ("eal_before", "eal_after")] + [0.0])
    return Scale(1e6, "m") if top >= 1e6 else Scale(1e3, "thousand") if top >= 1e3 else Scale(1.0, "")


def _value(v: object, other: object = None) -> str:
    """A field's value in words; a long text is cut, around where it differs from ``other`` (the
    value on the other side of the change) so that the difference stays visible."""
    if v is None:
        return "(none)"
    if isinstance(v, list):
        return ", ".join(_value(x) for x in v) or "(empty)"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_value(x)}" for k, x in v.items()) or "(empty)"
    if isinstance(v, float):
        return f"{v:,.6g}"
    text = " ".join(str(v).split())
    if len(text) <= 80:
        return text
    ref = " ".join(str(other).split()) if isinstance(other, str) else ""
    at = next((i for i, (a, b) in enumerate(zip(text, ref, strict=False)) if a != b),
              min(len(text), len(ref)))
    start = max(0, min(at - 30, len(text) - 78)) if at > 60 else 0
    if start and " " in text[start:at]:  # start at a word
        start = text.index(" ", start) + 1
    cut = text[start:start + 78 - (start > 0)]
    return ("…" if start else "") + cut + ("…" if start + len(cut) < len(text) else "")


def entity_name(change: dict) -> str:
    """``control C18 (Backup power)``: the entity a change is about, in words."""
    kind = SINGULAR.get(change["section"], change["section"])
    if change["section"] in ("register", "ghg", "plan", "parameters"):
        return f"{kind} {change['id']}"
    return f"{kind} {change['id']}" + (f" ({change['title']})" if change.get("title") else "")


def describe(change: dict, max_fields: int = 2) -> str:
    """A register change in words, with its fields, values and units."""
    name = entity_name(change)
    if change["change"] != "changed":
        return f"{name} {change['change']}"
    parts = [f"{f['field']} {_value(f['old'], f['new'])} -> {_value(f['new'], f['old'])}".lstrip()
             + (f" {f['unit']}" if f.get("unit") not in (None, "", "date") else "")
             for f in change["fields"][:max_fields]]
    more = len(change["fields"]) - max_fields
    tail = f" (and {more} more field{'s' * (more > 1)})" if more > 0 else ""
    return f"{name}: " + "; ".join(parts) + tail


def inert_field(f: dict) -> str:
    """``risk R2 rating.likelihood 4 -> 5``: one field of a change, its values when short."""
    kind = SINGULAR.get(f["section"], f["section"])
    old, new = _value(f["old"], f["new"]), _value(f["new"], f["old"])
    values = f" {old} -> {new}" if max(len(old), len(new)) <= 20 else ""
    return f"{kind} {f['id']} {f['field']}".rstrip() + values


def _changes_by_key(pack: dict) -> dict[tuple[str, str], dict]:
    return {(c["section"], c["id"]): c for c in pack["changes"]}


def describe_effect(pack: dict, effect: dict) -> str:
    """The change(s) of one attribution group in words: one change with its fields; several (changes
    that only validate together) by entity, their fields being in the register changes table."""
    by_key = _changes_by_key(pack)
    found = [by_key[(c["section"], c["id"])] for c in effect["changes"] if (c["section"], c["id"]) in by_key]
    if len(found) == 1:
        return describe(found[0])
    words = [f"{SINGULAR.get(c['section'], c['section'])} {c['id']} {c['change']}" for c in found]
    text = ", ".join(words)
    return text + (f" ({effect['grouped_because']})" if effect.get("grouped_because") else "")


def _row(rows: list[dict], year: int, key: str = "total") -> dict | None:
    return next((r for r in rows if r["year"] == year and r["id"] == key), None)


def _places(pack: dict, year: int) -> int | None:
    """The decimals every part of the total's movement in ``year`` is shown to: those of the
    movement itself (:meth:`Scale.places`), so that the parts add up on the page."""
    m = _row(pack["movements"], year)
    return scale_of(pack).places(m["eal_change"], m["eal_change_se"]) if m else None


def summary(pack: dict) -> list[str]:
    """The pack's first paragraphs: what moved, why, what does not enter the model, what is due."""
    years = pack["years"]
    if not years:
        return ["The two runs share no horizon year: nothing to compare."]
    sc = scale_of(pack)
    cur = pack["currency"]
    unit = sc.unit(cur)
    year = max(years)
    out = []
    m, part = _row(pack["movements"], year), _row(pack["attribution"], year)
    dp = _places(pack, year)
    if m is not None and part is not None:
        if m["eal_change"] == 0:
            text = (f"Residual expected annual loss (EAL) in {year}: {sc.money(m['eal_after'], cur)}, "
                    "unchanged")
        else:
            direction = "rose" if m["eal_change"] > 0 else "fell"
            with_reruns = m["eal_change_se"] != m.get("paired_se", m["eal_change_se"])
            rerun = " and of the re-runs" if with_reruns else ""
            noise = (f"beyond sampling noise (2 x s.e. of the paired difference{rerun} "
                     f"{sc.level(2 * m['eal_change_se'])})" if m["significant"] else "within sampling noise")
            text = (f"Residual expected annual loss (EAL) in {year}: {sc.money(m['eal_after'], cur)}; it "
                    f"{direction} from {sc.money(m['eal_before'], cur)} by "
                    f"{sc.change(abs(m['eal_change']), m['eal_change_se'], dp).lstrip('+')} "
                    f"{sc.suffix}".rstrip()
                    + f", {noise}")
        text += (f". Of the movement ({unit}): register changes "
                 f"{sc.change(part['register'], part['register_se'], dp)}, scenario changes "
                 f"{sc.change(part['scenario'], part['scenario_se'], dp)}")
        if part["sampling_noise"]:
            text += f", re-run difference {sc.change(part['sampling_noise'], 0, dp)} ({pack['rerun']})"
        out.append(text + ".")
    sentences = []
    for effect in sorted((e for e in pack["change_effects"] if not e["no_effect"]),
                         key=lambda e: -abs((_row(e["rows"], year) or {"change": 0})["change"])):
        r = _row(effect["rows"], year)
        if r is not None and r["change"] != 0:
            sentences.append(f"{describe_effect(pack, effect)}: {sc.change(r['change'], r['se'], dp)}")
    if sentences:
        shown = sentences[:3]
        rest = len(sentences) - len(shown)
        out.append(f"What moved the {year} residual EAL ({unit}), change by change: " + "; ".join(shown)
                   + (f"; and {rest} smaller change(s), in the table below." if rest else "."))
    idle = [describe_effect(pack, e) for e in pack["change_effects"] if e["no_effect"]]
    if idle:
        out.append("No effect on any simulated loss (not a model input, or one that another input "
                   "overrides): " + "; ".join(idle) + ".")
    inert = [inert_field(f) for e in pack["change_effects"] for f in e.get("fields_without_effect") or []]
    if inert:
        out.append("Fields without effect in changes that do move losses: " + "; ".join(inert) + ".")
    if not pack["changes"]:
        out.append("No change to the register.")
    due = pack.get("decisions_due") or []
    overdue = pack.get("overdue_controls") or []
    out.append(f"As of {pack.get('as_of')}: {len(due)} treatment decision(s) past their review date"
               + (" (" + ", ".join(str(d.get("risk")) for d in due) + ")" if due else "")
               + f", {len(overdue)} control finding(s) overdue.")
    return out


def _effects_table(pack: dict) -> Table:
    years = pack["years"]
    sc = scale_of(pack)
    rows: list[list] = []
    for effect in pack["change_effects"]:
        cells = []
        for y in years:
            r = _row(effect["rows"], y)
            cells.append(sc.change(r["change"], r["se"], _places(pack, y)) if r else "0")
        moved = sorted({r["id"] for r in effect["rows"] if r["id"] != "total"})
        rows.append([describe_effect(pack, effect), *cells,
                     ", ".join(moved) if moved else "none (no effect)"])
    parts = {y: _row(pack["attribution"], y) for y in years}
    moves = {y: _row(pack["movements"], y) for y in years}

    def se(y: int, key: str) -> float:
        """The standard error a part is shown to: its own where known, else the register part's
        (the remainder) or the movement's (the re-run difference and the movement)."""
        if key in ("scenario", "register"):
            return parts[y][f"{key}_se"]  # type: ignore[index]
        if key == "remainder":
            return parts[y]["register_se"]  # type: ignore[index]
        return moves[y]["eal_change_se"] if moves[y] else 0.0  # type: ignore[index]

    for label, key in (("interaction remainder (changes acting together)", "remainder"),
                       ("scenario changes", "scenario"),
                       (f"re-run difference: {pack['rerun']}", "sampling_noise")):
        cells = [sc.change(parts[y][key], se(y, key), _places(pack, y)) if parts[y] else "-" for y in years]
        if any(c not in ("0", "-") for c in cells) or key == "remainder":
            rows.append([label, *cells, ""])
    cells = [sc.change(parts[y]["total_change"], se(y, "total_change"), _places(pack, y)) if parts[y] else "-"
             for y in years]
    rows.append(["movement of the total", *cells, ""])
    return Table("pack_effects", f"What moved the total residual EAL ({sc.unit(pack['currency'])} per year; "
                 "each change on its own, on the same random draws)", ["change", *[f"{y}" for y in years],
                                                                      "risks moved"],
                 ["text", *["num"] * len(years), "text"], rows,
                 note=f"Method: {pack['method']}. The parts add up to the movement of the total.")


def _changes_table(pack: dict) -> Table:
    rows = []
    for ch in pack["changes"]:
        if ch["change"] != "changed":
            rows.append([entity_name(ch), ch["change"], "", "", "", ""])
        for f in ch["fields"]:
            rows.append([entity_name(ch), "changed", f["field"], _value(f["old"], f["new"]),
                         _value(f["new"], f["old"]),
                         f.get("unit", "")])
    return Table("pack_changes", f"Register changes ({len(pack['changes'])})",
                 ["entity", "change", "field", "before", "now", "unit"], ["text"] * 6, rows)


def _movement_table(pack: dict) -> Table:
    sc = scale_of(pack)
    rows = []
    for m in pack["movements"]:
        if m["eal_change"] == 0 and m["id"] != "total":
            continue
        rows.append([m["year"], m["id"], m["title"], sc.level(m["eal_before"]), sc.level(m["eal_after"]),
                     sc.change(m["eal_change"], m["eal_change_se"]),
                     sc.level(2 * m["eal_change_se"]) if m["eal_change_se"] else "0",
                     "yes" if m["significant"] else "no", sc.level(m["var99_before"]),
                     sc.level(m["var99_after"])])
    return Table("pack_movement", f"Movement of residual loss ({sc.unit(pack['currency'])} per year; risks "
                 "that did not move left out)", ["year", "id", "title", "EAL before", "EAL now", "change",
                                                 "2 x s.e.", "beyond noise", "VaR 99% before", "VaR 99% now"],
                 ["int", "text", "text", "num", "num", "num", "num", "text", "num", "num"], rows,
                 note="2 x s.e.: twice the standard error of the paired per-trial difference of the two "
                      "runs (zero for a risk whose inputs did not change; when the seed or trials changed, "
                      "with the sampling error of the two re-runs of the earlier register added); beyond "
                      "noise: the change is larger than that.")


def _decision_blocks(pack: dict) -> list[Block]:
    blocks: list[Block] = []
    taken = pack.get("decisions_taken") or []
    due = pack.get("decisions_due") or []
    if taken:
        rows = []
        for d in taken:
            t = d.get("after") or d.get("before") or {}
            rating = d.get("residual_rating")
            residual = ((rating or {}).get("after") or {}) if rating else {}
            rows.append([f"{d['risk']} ({d['title']})", d["change"], t.get("decision"), t.get("approver"),
                         t.get("date"), t.get("review_date"), t.get("rationale"),
                         f"{residual['likelihood']} x {residual['impact']}" if residual else "-"])
        blocks.append(Table("pack_decisions", "Treatment decisions taken or changed since the last review",
                            ["risk", "change", "decision", "approver", "date", "review date", "rationale",
                             "residual rating"], ["text"] * 8, rows))
    if due:
        blocks.append(Table("pack_due", "Treatment decisions past their review date",
                            ["risk", "decision", "review date", "days overdue"],
                            ["text", "text", "text", "int"],
                            [[f"{d['risk']} ({d['title']})", d.get("decision"), d.get("review_date"),
                              d.get("days_overdue")] for d in due]))
    return blocks or ["No treatment decision taken since the last review, and none past its review date."]


def pack_document(pack: dict) -> Report:
    """The review pack as a document (see the module docstring)."""
    cur, ago = pack["current"], pack["against"]

    def label(x: dict) -> str:
        return (f"{x['quarter']} revision {x['revision']} ({x['scenario']})" if "quarter" in x
                else f"{x['register']} ({x['scenario']})")

    title = f"Quarterly review of register {pack['register']}: {label(cur)} against {label(ago)}"
    overdue: list[Block] = [Table("pack_overdue", "Controls overdue for a test or past their due date",
                                  ["control", "finding"], ["text", "text"],
                                  [[g["entity"], g["reason"]] for g in pack["overdue_controls"]])]
    if not pack["overdue_controls"]:
        overdue = ["None."]
    targets = Table("pack_targets", "Targets", ["target", "title", "status"], ["text"] * 3,
                    [[t["id"], t["title"], t["status"]] for t in pack["targets"]])
    sections = [
        Section("Summary", "", list(summary(pack))),
        Section("Why the total moved", "", [_effects_table(pack)]),
        Section("Register changes", "", [_changes_table(pack)] if pack["changes"] else
                ["No change to the register."]),
        Section("Movement of residual loss", "", [_movement_table(pack)]),
        Section("Decisions", "", _decision_blocks(pack)),
        Section("Controls overdue", "", overdue),
        Section("Targets", "", [targets]),
    ]
    return Report(title, [], sections)


def pack_text(doc: Report, markdown: bool = False, width: int = 120) -> str:
    """The pack as terminal text (paragraphs and tables wrapped to ``width`` characters) or Markdown."""
    from climaterisk.escape import md_escape
    from climaterisk.outputs.render import blocks_text

    out = [f"# {md_escape(doc.title)}" if markdown else "\n".join(textwrap.wrap(doc.title, width)), ""]
    for section in doc.sections:
        underline = "=" * len(section.title)
        heading = f"## {md_escape(section.title)}" if markdown else f"{section.title}\n{underline}"
        out += [heading, ""]
        blocks = [b if markdown or not isinstance(b, str) else "\n".join(textwrap.wrap(b, width))
                  for b in section.blocks]
        out.append(blocks_text(blocks, markdown, width))
    return "\n".join(out).rstrip() + "\n"


def pack_html(doc: Report) -> str:
    """The pack as one HTML page with the report's print stylesheet (A4, repeated table headers)."""
    from climaterisk.outputs.publish import report_html

    return report_html(doc, {})
