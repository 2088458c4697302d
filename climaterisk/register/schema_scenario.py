"""The spec of a scenario file (``scenarios/<id>.yaml``): :data:`SCENARIO`, with its drivers and
hazard multipliers as year series (:data:`SERIES`).

Scenario files are read and interpolated by :mod:`climaterisk.scenarios`;
:mod:`climaterisk.register.schema` re-exports these specs and documents them with the register's.
"""

from __future__ import annotations

from climaterisk.register.fields import (
    Enum,
    F,
    Id,
    ListOf,
    MapOf,
    Num,
    Obj,
    Str,
)

SERIES = Obj([
    F("unit", Str()),
    F("description", Str()),
    F("source", Str()),
    F("values", MapOf(Num(), key=Num(lo=1900, hi=2300, integer=True)),
      doc="year -> value; linear interpolation between listed years"),
    F("notes", Str(), False),
])


SCENARIO = Obj([
    F("format_version", Num(lo=1, hi=1, integer=True)),
    F("id", Id()), F("name", Str()),
    F("aliases", ListOf(Str()), False, "other names accepted, case-insensitive"),
    F("cmip6", Str(), doc="CMIP6 counterpart, e.g. SSP2-4.5"),
    F("transition", Obj([F("ngfs", ListOf(Str())), F("narrative", Str())])),
    F("description", Str()),
    F("baseline_year", Num(lo=1900, hi=2100, integer=True)),
    F("limits", ListOf(Str()), False),
    F("drivers", MapOf(SERIES)),
    F("hazards", MapOf(MapOf(SERIES, key=Enum(("frequency", "severity"))))),
    F("notes", Str(), False),
])
