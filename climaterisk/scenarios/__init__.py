"""Layer 2, the scenarios: climate and transition pathways read from data files.

Owns reading and validating a scenario file and answering, for a year, each driver's value
(warming level, carbon price, transition indices) and each hazard's frequency and severity
multipliers, interpolated between the years the file lists (:mod:`.loading`).

May import: the register layer's format (:mod:`climaterisk.register.schema`, which specifies
the scenario file as well) and the base layer. A scenario knows nothing of any register's
risks, controls or sites.
"""

from climaterisk.scenarios.loading import (
    Scenario,
    Series,
    SeriesRange,
    available_scenarios,
    load_scenario,
    read_scenario,
)

__all__ = ["Scenario", "Series", "SeriesRange", "available_scenarios", "load_scenario", "read_scenario"]
