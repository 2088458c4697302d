"""Declarative field nodes: the generic machinery behind the register and scenario formats.

A tree of nodes says, for every field of a file, its type, unit, range and meaning. The same
tree validates parsed YAML (``node.check(value, At(file))`` walks it and records every problem
at once), emits JSON Schema (``node.json_schema()``) and yields the rows of a docs field table
(:func:`field_rows`). Validation turns ``{value: x, source: "..."}`` quantities into plain
floats and records each one, with its source, as a :class:`Provenance` row.

:mod:`climaterisk.register.fields.base` holds the validation context and the leaf types,
:mod:`climaterisk.register.fields.composite` the types built from other nodes; the concrete specs of
each file are in :mod:`climaterisk.register.schema`.
"""

from climaterisk.register.fields.base import (
    DATE_PATTERN,
    ID_PATTERN,
    INVALID,
    MAX_MAGNITUDE,
    SOURCE_PATTERN,
    At,
    Bool,
    Date,
    Enum,
    Id,
    Node,
    Num,
    Provenance,
    Quantity,
    SourcedDate,
    Str,
    check_source,
)
from climaterisk.register.fields.composite import (
    F,
    Interval,
    ListOf,
    MapOf,
    Nullable,
    Obj,
    Tagged,
    Uniform,
    field_rows,
)

__all__ = [
    "DATE_PATTERN", "ID_PATTERN", "INVALID", "MAX_MAGNITUDE", "SOURCE_PATTERN", "At", "Bool", "Date", "Enum",
    "F", "Id", "Interval", "ListOf", "MapOf", "Node", "Nullable", "Num", "Obj", "Provenance", "Quantity",
    "SourcedDate", "Str", "Tagged", "Uniform", "check_source", "field_rows",
]
