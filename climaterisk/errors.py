"""The exception family of climaterisk.

The library raises these and never prints or exits; the command line turns them into
messages and exit codes (2 for bad input, 1 for a failed output).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in an input: where it is, what was found, what was expected."""

    file: str
    entry: str
    field: str
    value: object
    expected: str

    def __str__(self) -> str:
        where = ": ".join(_printable(part) for part in (self.file, self.entry, self.field) if part)
        shown = _show(self.value)
        return f"{where}: got {shown}; expected {self.expected}"


def _printable(text: str) -> str:
    """``text`` with control, bidi and other unprintable characters as escapes (``\\x1b``), so
    that an entry id or key from a hostile file cannot act on the terminal the message goes to."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class ClimateRiskError(Exception):
    """Base class of every error climaterisk raises on purpose."""


class InputError(ClimateRiskError):
    """An input (register, scenario, option) is invalid; carries every problem found."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class RegisterError(InputError):
    """A register folder or one of its files is invalid."""


class ScenarioError(InputError):
    """A scenario file is invalid, or a scenario or year was asked for that does not exist."""


class OptionError(InputError):
    """An option of a run (trials, seed, horizons, method, engine, workers) is invalid or does
    not apply to the others asked for."""


class OutputError(ClimateRiskError):
    """An output could not be written; the previous file, if any, is left untouched."""
