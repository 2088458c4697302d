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

RANGE = Obj([
    F("percentiles", ListOf(Num(lo=0, hi=100), min_items=2, unit="%"), False,
      "the two percentiles the range's ends are, e.g. [5, 95] (the default) for a very likely "
      "range, [10, 90] for a 10th-90th percentile model spread"),
    F("group", Id(), False,
      "ranges of one group move together (one draw of what we don't know moves every series of "
      "the group to the same percentile); default warming"),
    F("source", Str()),
    F("values", MapOf(ListOf(Num(), min_items=2), key=Num(lo=1900, hi=2300, integer=True)),
      doc="year -> [low end, high end]; the same years as the series' values"),
])


SERIES = Obj([
    F("unit", Str()),
    F("description", Str()),
    F("source", Str()),
    F("values", MapOf(Num(), key=Num(lo=1900, hi=2300, integer=True)),
      doc="year -> value; linear interpolation between listed years"),
    F("notes", Str(), False),
    F("range", RANGE, False,
      "what we don't know: the ends of the series' uncertainty range by year, drawn once per "
      "world by `assess --uncertainty` (the values stay the central estimate)"),
])


SCENARIO = Obj([
    F("format_version", Num(lo=1, hi=1, integer=True)),
    F("id", Id()), F("name", Str(multiline=False)),
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
