"""The provenance mark of a figure in the report: ``reported`` (a register value with a source
document), ``assumed`` (a register value whose source is an ``assumption:``) or ``derived``
(computed by climaterisk from register inputs; "derived, from N assumed inputs" when some of the
inputs it rests on are assumptions). The same words as the transition plan and target tables
(:func:`climaterisk.analysis.transition_plan.mark_of`), for every figure an auditor would ask about.
"""

from __future__ import annotations

from collections.abc import Iterable

from climaterisk.register import Register

REPORTED, ASSUMED, DERIVED = "reported", "assumed", "derived"


def input_mark(register: Register, entry: str, field: str) -> str:
    """The mark of one register input: ``assumed`` or ``reported`` (also when typed without source)."""
    for p in register.provenance:
        if p.entry == entry and p.field == field:
            return ASSUMED if p.is_assumption else REPORTED
    return REPORTED


def marks_of(register: Register, entry: str, field: str) -> str:
    """The mark of a figure computed from several inputs of ``entry`` whose field starts with
    ``field`` (a site's hazards, a risk's models): ``assumed`` if any is, else ``reported``."""
    found = [p for p in register.provenance if p.entry == entry and p.field.startswith(field)]
    return ASSUMED if any(p.is_assumption for p in found) else REPORTED


def assumed_inputs(register: Register, entries: Iterable[str] | None = None) -> int:
    """How many inputs marked as assumptions the named entries hold (all entries: ``None``)."""
    wanted = None if entries is None else set(entries)
    return sum(p.is_assumption and (wanted is None or p.entry in wanted) for p in register.provenance)


def derived(register: Register, entries: Iterable[str] | None = None) -> str:
    """``derived``, with the number of assumed inputs among ``entries`` (all inputs: ``None``)."""
    n = assumed_inputs(register, entries)
    return f"{DERIVED}, from {n} assumed input{'s' if n != 1 else ''}" if n else DERIVED


def combine(marks: Iterable[str]) -> str:
    """The mark of a sum of marked values: itself when all agree, else ``derived``."""
    found = set(marks)
    return found.pop() if len(found) == 1 else DERIVED


__all__ = ["ASSUMED", "DERIVED", "REPORTED", "assumed_inputs", "combine", "derived", "input_mark",
           "marks_of"]
