"""climaterisk: a company's climate risk register, Monte Carlo scenario analysis, ISO 22301
coverage and IFRS S2 reporting.

The Python API for notebooks::

    import climaterisk
    register = climaterisk.load_register()            # the shipped example register
    result = climaterisk.assess(register, scenario="rcp45", trials=100_000, seed=1)
    result.to_dict()                                   # the same data as --format json
    climaterisk.summary(result, level="category")      # a tidy pandas DataFrame
    climaterisk.trials(result, 2030)                   # per-trial losses (keep_samples=True)

``docs/python-api.md`` has a worked example.
"""

__version__ = "0.1.0"

from climaterisk.assess import Assessment, assess
from climaterisk.errors import ClimateRiskError, InputError, RegisterError, ScenarioError
from climaterisk.frames import summary, trials
from climaterisk.register import Register, load_register
from climaterisk.scenarios import Scenario, load_scenario

__all__ = [
    "Assessment", "ClimateRiskError", "InputError", "Register", "RegisterError", "Scenario",
    "ScenarioError", "__version__", "assess", "load_register", "load_scenario", "summary", "trials",
]
