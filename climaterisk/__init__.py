"""climaterisk: a company's climate risk register, Monte Carlo scenario analysis, ISO 22301
coverage and IFRS S2 reporting.

The Python API for notebooks::

    import climaterisk
    register = climaterisk.load_register()            # the shipped example register
    result = climaterisk.assess(register, scenario="rcp45", trials=100_000, seed=1)
    result.to_dict()                                   # the same data as --format json
    climaterisk.summary(result, level="category")      # a tidy pandas DataFrame
    climaterisk.trials(result, 2030)                   # per-trial losses (keep_samples=True)

``docs/python-api.md`` has a worked example and ``docs/architecture.md`` the layers. The names
below are imported on first use, so ``import climaterisk`` (or any one of its modules) loads
nothing it does not need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from climaterisk._version import __version__

_LAZY = {
    "AssessOptions": "climaterisk.analysis.options",
    "Assessment": "climaterisk.analysis.results",
    "assess": "climaterisk.analysis.assess",
    "ClimateRiskError": "climaterisk.errors",
    "InputError": "climaterisk.errors",
    "OptionError": "climaterisk.errors",
    "RegisterError": "climaterisk.errors",
    "ScenarioError": "climaterisk.errors",
    "summary": "climaterisk.outputs.frames",
    "trials": "climaterisk.outputs.frames",
    "Register": "climaterisk.register",
    "load_register": "climaterisk.register",
    "Scenario": "climaterisk.scenarios",
    "load_scenario": "climaterisk.scenarios",
}

__all__ = [
    "AssessOptions", "Assessment", "ClimateRiskError", "InputError", "OptionError", "Register",
    "RegisterError", "Scenario", "ScenarioError", "__version__", "assess", "load_register",
    "load_scenario", "summary", "trials",
]

if TYPE_CHECKING:
    from climaterisk.analysis.assess import assess
    from climaterisk.analysis.options import AssessOptions
    from climaterisk.analysis.results import Assessment
    from climaterisk.errors import ClimateRiskError, InputError, OptionError, RegisterError, ScenarioError
    from climaterisk.outputs.frames import summary, trials
    from climaterisk.register import Register, load_register
    from climaterisk.scenarios import Scenario, load_scenario


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'climaterisk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
