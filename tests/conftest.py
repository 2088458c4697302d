"""Shared fixtures: a small hand-made register and scenario whose answers can be computed by hand."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tests.postgres_server import postgres_server, postgres_url  # noqa: F401 (fixtures for every module)

FLAT = {2020: 1.0, 2060: 1.0}


def series(values: dict, unit: str = "-") -> dict:
    return {"unit": unit, "description": "test series", "source": "assumption: test",
            "values": dict(values)}


def scenario_dict(freq: float = 1.5, sev: float = 1.2, warming: float = 1.0) -> dict:
    """A scenario with baseline 2020; multipliers reach ``freq``/``sev`` in 2050 (linear)."""
    return {
        "format_version": 1, "id": "test", "name": "Test scenario", "aliases": ["tst"],
        "cmip6": "none", "transition": {"ngfs": ["none"], "narrative": "test"},
        "description": "test", "baseline_year": 2020,
        "drivers": {
            "local_warming_c": series({2020: 0.0, 2050: warming, 2060: warming}, "°C"),
            "carbon_price_usd_t": series({2020: 10.0, 2050: 100.0, 2060: 100.0}, "USD/t"),
            "policy_stringency": series({2020: 1.0, 2050: 2.0, 2060: 2.0}),
        },
        "hazards": {
            "flood": {"frequency": series({2020: 1.0, 2050: freq, 2060: freq}),
                      "severity": series({2020: 1.0, 2050: sev, 2060: sev})},
            "storm": {"frequency": series(FLAT)},
        },
    }


def register_files() -> dict[str, dict]:
    """A small register: 3 sites in 2 regions, flood with a regional common shock, a company
    event, a cost model and a carbon model, and controls of every kind."""
    q = lambda v: {"value": v, "source": "assumption: test value"}  # noqa: E731
    return {
        "register.yaml": {
            "format_version": 2, "id": "mini", "organisation": "Mini Co",
            "reporting_period": {"start": "2020-01-01", "end": "2020-12-31"},
            "as_of": "2020-12-31", "currency": "EUR", "baseline_year": 2020,
            "horizons": {"short": 2025, "medium": 2030, "long": 2050},
            "documents": [{"id": "doc", "title": "Test document"}],
            "governance": "The board.", "risk_management": "Quarterly review.",
            "parameters": {"electricity_price": q(100.0), "fx_usd": q(2.0)},
        },
        "sites.yaml": {
            "regions": [
                {"id": "north", "name": "North", "common_events": [
                    {"hazard": "flood", "rate": q(0.5), "footprint": q(0.4)}]},
                {"id": "south", "name": "South"},
            ],
            "sites": [
                {"id": "a", "name": "Site A", "kind": "leased_dc", "region": "north",
                 "replacement_value": q(1000.0), "interruption_cost_per_day": q(10.0),
                 "electricity_mwh": q(50.0), "rto_days": q(1.0), "mtpd_days": q(3.0),
                 "iso22301": {"certified": True, "valid_until": "2022-06-30"},
                 "hazards": {"flood": {"value": 0.2, "source": "doc: p. 3"}}},
                {"id": "b", "name": "Site B", "kind": "leased_dc", "region": "north",
                 "replacement_value": q(2000.0), "interruption_cost_per_day": q(20.0),
                 "electricity_mwh": q(100.0), "hazards": {"flood": q(0.1)}},
                {"id": "c", "name": "Office C", "kind": "office", "region": "south",
                 "replacement_value": q(500.0), "interruption_cost_per_day": q(5.0),
                 "hazards": {"flood": q(0.3), "storm": q(0.05)}},
            ],
        },
        "risks.yaml": {"risks": [
            {"id": "R1", "title": "Flood", "category": "physical_acute",
             "ifrs_s2_type": "physical", "impact": "Water.", "time_horizons": ["short", "long"],
             "owner": "Ops", "rating": {"likelihood": 3, "impact": 4}, "sites": "all",
             "controls": ["C1", "C2", "C3"],
             "models": [{"type": "site_event", "hazard": "flood",
                         "damage": {"p5": 0.01, "p95": 0.2, "source": "assumption: test"},
                         "downtime_days": {"p5": 0.5, "p95": 5.0}}]},
            {"id": "R2", "title": "Heat", "category": "physical_chronic",
             "ifrs_s2_type": "physical", "impact": "Cooling.", "time_horizons": ["long"],
             "owner": "Ops", "rating": {"likelihood": 4, "impact": 2},
             "sites": {"kind": ["leased_dc"]}, "controls": ["C4"],
             "models": [{"type": "cooling_energy", "sensitivity": {"p5": 0.01, "p95": 0.05}}]},
            {"id": "R3", "title": "Policy", "category": "policy_legal",
             "ifrs_s2_type": "transition", "impact": "Rules.", "time_horizons": ["medium"],
             "owner": None, "rating": {"likelihood": 2, "impact": 2}, "controls": ["C5"],
             "models": [
                 {"type": "entity_event", "rate": q(0.3), "severity": {"p5": 10.0, "p95": 200.0},
                  "rate_driver": "policy_stringency"},
                 {"type": "carbon_cost", "emissions": ["scope1"],
                  "exposed_share": {"low": 0.1, "high": 0.3}},
                 {"type": "annual_cost", "cost": {"p5": 5.0, "p95": 50.0},
                  "driver": "policy_stringency"},
             ]},
        ]},
        "opportunities.yaml": {"opportunities": [
            {"id": "O1", "title": "Efficiency", "category": "resource_efficiency",
             "ifrs_s2_type": "transition", "description": "Save.", "time_horizons": ["long"],
             "models": [{"type": "annual_cost", "cost": {"p5": 1.0, "p95": 9.0}}]},
        ]},
        "controls.yaml": {"controls": [
            {"id": "C1", "title": "Site selection", "type": "preventive", "status": "implemented",
             "sites": {"region": ["north"]}, "effect": {"frequency": q(0.3)},
             "iso22301_clauses": ["8.2.3"], "owner": "Ops", "last_tested": "2020-06-01"},
            {"id": "C2", "title": "Drills", "type": "corrective", "status": "implemented",
             "effect": {"severity": q(0.2), "downtime": q(0.5)},
             "iso22301_clauses": ["8.4", "8.5"], "owner": "BCM", "last_tested": "2019-01-01"},
            {"id": "C3", "title": "Insurance", "type": "transfer", "status": "planned",
             "effective_year": 2040, "effect": {"deductible": q(50.0), "limit": q(100.0)},
             "owner": "Finance"},
            {"id": "C4", "title": "Free cooling", "type": "preventive", "status": "implemented",
             "effect": {"severity": q(0.25)}, "owner": "Ops"},
            {"id": "C5", "title": "Monitoring", "type": "detective", "status": "implemented",
             "effect": {"frequency": q(0.5), "severity": q(0.1)}, "owner": "ESG"},
        ]},
        "metrics.yaml": {
            "metrics": [
                {"id": "scope1", "name": "Scope 1", "category": "ghg", "scope": 1,
                 "unit": "t CO2e", "year": 2020, "value": {"value": 1000.0, "source": "doc: KPI"}},
                {"id": "staff", "name": "Employees", "category": "workforce", "unit": "persons",
                 "year": 2020, "value": 10},
            ],
            "targets": [
                {"id": "T1", "title": "Cut scope 1", "metric": "scope1", "unit": "t CO2e",
                 "baseline": {"year": 2020, "value": 1000.0},
                 "target": {"year": 2030, "value": 500.0}},
            ],
        },
    }


class _NoAliases(yaml.SafeDumper):
    """Writes shared objects out in full: climaterisk refuses YAML anchors and aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def write_register(folder: Path, files: dict[str, dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        text = yaml.dump(data, Dumper=_NoAliases, sort_keys=False, allow_unicode=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def write_scenario(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def mini_files() -> dict[str, dict]:
    return copy.deepcopy(register_files())


@pytest.fixture
def mini_register_path(tmp_path: Path, mini_files: dict[str, dict]) -> Path:
    return write_register(tmp_path / "mini", mini_files)


@pytest.fixture
def mini_scenario_path(tmp_path: Path) -> Path:
    return write_scenario(tmp_path / "test.yaml", scenario_dict())


@pytest.fixture(scope="session")
def shipped_independent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped register without its outage-episode model (R6's reputational episodes after
    outages), whose links the exact method can take as independent: for tests of the exact
    method on realistic data."""
    from climaterisk.io import shipped_dir

    source = shipped_dir("registers") / "kuaishou-2023"
    folder = tmp_path_factory.mktemp("shipped") / "kuaishou-2023"
    folder.mkdir()
    for file in source.glob("*.yaml"):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        if file.name == "risks.yaml":
            for risk in data["risks"]:
                risk["models"] = [m for m in risk["models"] if m["type"] != "outage_episode"]
        write_register(folder, {file.name: data})
    return folder


@pytest.fixture(scope="module")
def many_rows(tmp_path_factory):
    """A small many-rows register: 8 sites x 3 hazards = 24 risks, each on one site with one
    control limited to that site (``benchmarks/synthetic.py --layout rows``), and its scenario."""
    import importlib.util

    from climaterisk.register import load_register
    from climaterisk.scenarios import load_scenario

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "synthetic.py"
    spec = importlib.util.spec_from_file_location("synthetic", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("rows")
    module.write(out, 8, 3, seed=1, layout="rows")
    return load_register(out / "register"), load_scenario(out / "scenario.yaml")
