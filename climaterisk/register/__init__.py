"""Layer 1, the register: what the company says about its risks, in a checked form.

Owns the register format (:mod:`.fields`, the generic field nodes; :mod:`.schema`, the spec of
each register file and of a scenario file), the entity dataclasses (:mod:`.entities`), the
distributions an entry may declare (:mod:`.distributions`), reading and validating a register
folder (:mod:`.loading`), the cross-file checks (:mod:`.crosscheck`), and creating a new
register folder (:mod:`.scaffold`).

May import: the base layer only (:mod:`climaterisk.errors`, :mod:`climaterisk.io`,
:mod:`climaterisk.escape`, :mod:`climaterisk.refdata`). Nothing here simulates or renders.

The public names of :mod:`.loading` are re-exported, so
``from climaterisk.register import Register, load_register`` works.
"""

from climaterisk.register.loading import (
    DEFAULT_REGISTER,
    REGISTER_FILES_ORDER,
    AnnualCost,
    BiaActivity,
    CarbonCost,
    CommonEvent,
    Control,
    CoolingEnergy,
    CoolingWater,
    EntityEvent,
    Metric,
    Model,
    OutageEpisode,
    Region,
    Register,
    Risk,
    Site,
    SiteEvent,
    Target,
    Treatment,
    load_register,
    resolve_register_path,
    shipped_registers,
)

__all__ = [
    "DEFAULT_REGISTER", "REGISTER_FILES_ORDER", "AnnualCost", "BiaActivity", "CarbonCost", "CommonEvent",
    "Control", "CoolingEnergy", "CoolingWater", "EntityEvent", "Metric", "Model", "OutageEpisode", "Region",
    "Register", "Risk", "Site",
    "SiteEvent", "Target", "Treatment", "load_register", "resolve_register_path", "shipped_registers",
]
