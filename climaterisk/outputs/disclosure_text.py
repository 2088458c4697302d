"""Text of ``climaterisk disclosures``: the disclosure index, with or without statuses, as a
terminal listing, Markdown or JSON, and the consistency findings of ``climaterisk gaps``.
"""

from __future__ import annotations

import json
import textwrap

from climaterisk.analysis import consistency, disclosure_index
from climaterisk.escape import md_escape


def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def index_text(rows: list[dict], fmt: str) -> str:
    """The index without statuses (``fmt``: table, markdown or json)."""
    if fmt == "json":
        return json.dumps({"items": rows}, indent=2, ensure_ascii=False) + "\n"
    headers = ["framework", "paragraph", "what it asks (summary)", "where", "how"]
    table = [[r["framework"], r["paragraph"], r["element"], r["where"], r["how"]] for r in rows]
    if fmt == "markdown":
        return _md_table(headers, table)
    out = []
    for r in table:
        out += textwrap.wrap(f"{r[0]} {r[1]}: {r[2]}", 120, subsequent_indent="    ")
        out += textwrap.wrap(f"answered in: {r[3]} ({r[4]})", 120, initial_indent="    ",
                             subsequent_indent="    ")
    return "\n".join(out) + "\n"


def check_text(statuses: list[disclosure_index.ItemStatus], register_id: str, fmt: str,
               note: str = "") -> str:
    """The checked index: each item's status and reason, then the count per status."""
    counts = disclosure_index.summary(statuses)
    if fmt == "json":
        return json.dumps({"register": register_id, "summary": counts, "note": note,
                           "items": [s.to_dict() for s in statuses]}, indent=2, ensure_ascii=False) + "\n"
    head = (f"Disclosure index of register {register_id}: "
            + ", ".join(f"{n} {k}" for k, n in counts.items()) + (f". {note}" if note else ""))
    if fmt == "markdown":
        rows = [[s.framework, s.paragraph, s.status, s.where, s.how, s.reason] for s in statuses]
        return head + "\n\n" + _md_table(["framework", "paragraph", "status", "where", "how", "reason"], rows)
    out = [head, ""]
    for s in statuses:
        out.append(f"{s.status.upper():<13} {s.framework} {s.paragraph}: {s.element}")
        out += textwrap.wrap(f"{s.how}; {s.reason}", 100, initial_indent=" " * 14,
                             subsequent_indent=" " * 14)
    return "\n".join(out) + "\n"


def findings_text(findings: list[consistency.Inconsistency], markdown: bool, ran: bool) -> str:
    """The consistency findings of ``climaterisk gaps`` after its other gaps."""
    title = f"Consistency checks: {len(findings)} finding(s)"
    if not ran:
        title += (" (register only; the rules " + " and ".join(consistency.SIMULATED_RULES)
                  + " need a run: add --scenario)")
    if not findings:
        return title + "\n"
    rows = [[f.rule, f.entity, f.reason] for f in findings]
    if markdown:
        return title + "\n\n" + _md_table(["rule", "where", "reason"], rows)
    out = [*textwrap.wrap(title, 120), ""]
    for r in rows:
        out.append(f"{r[0]} | {r[1]}")
        out += textwrap.wrap(r[2], 100, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(out) + "\n"
