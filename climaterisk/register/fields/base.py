"""Field nodes: the validation context and the leaf field types.

:class:`At` is the place being checked and collects every problem (and the provenance of every
number) found on the way, so that a file's problems are reported at once. :class:`Node` is a
field type: it checks a parsed YAML value, describes itself as JSON Schema and names its type
for the docs. This module holds the leaf types (numbers, quantities with a source, strings and
ids, booleans, dates, enumerations); :mod:`climaterisk.register.fields.composite` holds the types built
from other nodes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from climaterisk.errors import Problem
from climaterisk.escape import text_problem

INVALID = object()
"""Returned by a check when the value is invalid (a problem has been recorded)."""

MAX_MAGNITUDE = 1e15
"""Largest absolute number accepted anywhere: larger values are almost surely typos."""

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
SOURCE_PATTERN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:\s*(\S.*)$", re.DOTALL)
BASE60_PATTERN = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
"""A YAML 1.1 sexagesimal number (``1:30:00``); climaterisk's YAML loader keeps it as text."""


@dataclass
class Provenance:
    """Where one numeric input came from."""

    file: str
    entry: str
    field: str
    value: Any
    unit: str
    source: str

    @property
    def is_assumption(self) -> bool:
        return self.source.strip().lower().startswith("assumption")


@dataclass
class At:
    """The place being checked, and the lists that collect problems and provenance."""

    file: str
    entry: str = ""
    path: str = ""
    problems: list[Problem] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)

    def sub(self, name: str) -> At:
        path = f"{self.path}.{name}" if self.path and not name.startswith("[") else self.path + name
        return At(self.file, self.entry, path, self.problems, self.provenance)

    def entity(self, entry: str) -> At:
        return At(self.file, entry, "", self.problems, self.provenance)

    def error(self, value: object, expected: str) -> object:
        self.problems.append(Problem(self.file, self.entry, self.path, value, expected))
        return INVALID


class Node:
    """A field type: checks a value, describes itself as JSON Schema and in docs."""

    doc: str = ""
    unit: str = ""

    # Every field type overrides these three; the base class only names them.
    def check(self, value: Any, at: At) -> Any:
        raise TypeError(f"{type(self).__name__} must define check()")  # pragma: no cover

    def json_schema(self) -> dict:
        raise TypeError(f"{type(self).__name__} must define json_schema()")  # pragma: no cover

    def type_name(self) -> str:
        raise TypeError(f"{type(self).__name__} must define type_name()")  # pragma: no cover

    def children(self) -> list[tuple[str, Node, bool, str]]:
        """Sub-fields for the docs: (name, node, required, description)."""
        return []


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _range_text(lo: float | None, hi: float | None, lo_open: bool = False) -> str:
    if lo is not None and hi is not None:
        return f"{'>' if lo_open else '>='} {lo:g} and <= {hi:g}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {lo:g}"
    if hi is not None:
        return f"<= {hi:g}"
    return ""


@dataclass
class Num(Node):
    """A plain finite number, optionally bounded."""

    doc: str = ""
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    integer: bool = False

    def expected(self) -> str:
        kind = "an integer" if self.integer else "a finite number"
        rng = _range_text(self.lo, self.hi, self.lo_open)
        return f"{kind} {rng}".strip()

    def check(self, value: Any, at: At) -> Any:
        if isinstance(value, str) and BASE60_PATTERN.match(value):
            return at.error(value, f"{self.expected()}, written as a number: a YAML 1.1 base-60 number "
                                   "(1:30:00 for 5400) is not read as one")
        if not _is_number(value) or (self.integer and not isinstance(value, int)):
            return at.error(value, self.expected())
        try:
            x = float(value)
        except OverflowError:  # an integer with hundreds of digits
            x = math.inf
        if not math.isfinite(x) or abs(x) > MAX_MAGNITUDE:
            return at.error(value, f"{self.expected()} (finite, |x| <= {MAX_MAGNITUDE:g})")
        if self.lo is not None and (x < self.lo or (self.lo_open and x == self.lo)):
            return at.error(value, self.expected())
        if self.hi is not None and x > self.hi:
            return at.error(value, self.expected())
        return int(value) if self.integer else x

    def json_schema(self) -> dict:
        out: dict = {"type": "integer" if self.integer else "number"}
        if self.lo is not None:
            out["exclusiveMinimum" if self.lo_open else "minimum"] = self.lo
        if self.hi is not None:
            out["maximum"] = self.hi
        return out

    def type_name(self) -> str:
        base = "integer" if self.integer else "number"
        rng = _range_text(self.lo, self.hi, self.lo_open)
        return f"{base} {rng}".strip()


def check_source(source: Any, at: At) -> str | object:
    """A source is ``"<document-id>: <locator>"`` or ``"assumption: <basis>"``."""
    if not isinstance(source, str) or not SOURCE_PATTERN.match(source):
        return at.error(
            source,
            'a source string "<document-id>: <page or table>" or "assumption: <basis>"',
        )
    return source.strip()


@dataclass
class Quantity(Num):
    """A number, written bare or as ``{value: x, source: "..."}``; recorded as provenance."""

    def check(self, value: Any, at: At) -> Any:
        source = ""
        if isinstance(value, dict):
            unknown = set(value) - {"value", "source"}
            for key in sorted(unknown):
                _unknown_key(key, ["value", "source"], at)
            if "value" not in value:
                return at.sub("value").error(None, f"a value: {self.expected()}")
            if "source" in value:
                checked = check_source(value["source"], at.sub("source"))
                source = checked if isinstance(checked, str) else ""
            value = value["value"]
        x = super().check(value, at)
        if x is not INVALID:
            at.provenance.append(Provenance(at.file, at.entry, at.path, x, self.unit, source))
        return x

    def json_schema(self) -> dict:
        plain = super().json_schema()
        return {
            "oneOf": [
                plain,
                {
                    "type": "object",
                    "properties": {"value": plain, "source": {"type": "string"}},
                    "required": ["value"],
                    "additionalProperties": False,
                },
            ]
        }

    def type_name(self) -> str:
        return super().type_name() + " (or {value, source})"


@dataclass
class Str(Node):
    """A string. Every register and scenario string passes here, so this is where the text policy
    of :func:`climaterisk.escape.text_problem` is applied: no control characters (tab and line
    feed only when ``multiline``), no lone surrogates, no bidirectional controls."""

    doc: str = ""
    unit: str = ""
    pattern: re.Pattern | None = None
    pattern_text: str = "a non-empty string"
    allow_empty: bool = False
    multiline: bool = True

    def check(self, value: Any, at: At) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and self.pattern is ID_PATTERN:
            value = str(value)
        if not isinstance(value, str) or (not self.allow_empty and not value.strip()):
            return at.error(value, self.pattern_text)
        problem = text_problem(value, self.multiline and self.pattern is None)
        if problem is not None:
            return at.error(value, problem)
        if self.pattern is not None and not self.pattern.match(value):
            return at.error(value, self.pattern_text)
        return value.strip() if self.pattern is not None else value

    def json_schema(self) -> dict:
        out: dict = {"type": "string"}
        if self.pattern is not None:
            out["pattern"] = self.pattern.pattern
        elif not self.allow_empty:
            out["minLength"] = 1
        return out

    def type_name(self) -> str:
        return "id" if self.pattern is ID_PATTERN else "string"


def Id(doc: str = "") -> Str:  # noqa: N802 - reads as a type in the specs of climaterisk.register.schema
    return Str(doc=doc, pattern=ID_PATTERN,
               pattern_text="an id: letters, digits, '_', '.', '-' (at most 64, starting alphanumeric)")


@dataclass
class Bool(Node):
    doc: str = ""
    unit: str = ""

    def check(self, value: Any, at: At) -> Any:
        if not isinstance(value, bool):
            return at.error(value, "true or false")
        return value

    def json_schema(self) -> dict:
        return {"type": "boolean"}

    def type_name(self) -> str:
        return "boolean"


@dataclass
class Date(Node):
    doc: str = ""
    unit: str = ""

    def check(self, value: Any, at: At) -> Any:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError as exc:
                if DATE_PATTERN.match(value.strip()):  # the right form, but no such day
                    return at.error(value, f"a date YYYY-MM-DD that exists ({exc})")
        return at.error(value, "a date YYYY-MM-DD")

    def json_schema(self) -> dict:
        return {"type": "string", "format": "date"}

    def type_name(self) -> str:
        return "date YYYY-MM-DD"


@dataclass
class SourcedDate(Date):
    """A date, written bare or as ``{value: YYYY-MM-DD, source: "..."}``; a date with a source is
    recorded as provenance (its value the ISO date text, unit ``date``), so that findings resting on
    an assumed date can say so."""

    def check(self, value: Any, at: At) -> Any:
        source = ""
        if isinstance(value, dict):
            for key in sorted(set(value) - {"value", "source"}):
                _unknown_key(key, ["value", "source"], at)
            if "value" not in value:
                return at.sub("value").error(None, "a value: a date YYYY-MM-DD")
            if "source" in value:
                checked = check_source(value["source"], at.sub("source"))
                source = checked if isinstance(checked, str) else ""
            value = value["value"]
        day = super().check(value, at)
        if day is not INVALID and source:
            at.provenance.append(Provenance(at.file, at.entry, at.path, day.isoformat(), "date", source))
        return day

    def json_schema(self) -> dict:
        plain = super().json_schema()
        return {"oneOf": [plain, {
            "type": "object", "properties": {"value": plain, "source": {"type": "string"}},
            "required": ["value"], "additionalProperties": False,
        }]}

    def type_name(self) -> str:
        return "date YYYY-MM-DD (or {value, source})"


@dataclass
class Enum(Node):
    values: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()
    doc: str = ""
    unit: str = ""

    def options(self) -> tuple[str, ...]:
        return self.values() if callable(self.values) else self.values

    def check(self, value: Any, at: At) -> Any:
        options = self.options()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if value in options:
            return value
        hint = _did_you_mean(value, options)
        return at.error(value, f"one of {', '.join(options)}{hint}")

    def json_schema(self) -> dict:
        return {"type": "string", "enum": list(self.options())}

    def type_name(self) -> str:
        return "one of " + ", ".join(f"`{v}`" for v in self.options())



def _did_you_mean(value: Any, options: list[str] | tuple[str, ...]) -> str:
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown_key(key: Any, names: list[str], at: At) -> None:
    at.sub(str(key)).error(key, "no such field; allowed: " + ", ".join(names) + _did_you_mean(key, names))

