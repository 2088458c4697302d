"""The financial-effects bridge as an assurance provider traces it (issue 16, item 1 audit): the
base-year budgeted amounts after the controls in force, the marks of derived figures, the plan
table's marks per line, the shipped register's booking, and `disclosures --check` agreeing with
the report's index."""

from __future__ import annotations

import json
import math

import pytest
from scipy.stats import norm
from typer.testing import CliRunner

from climaterisk import assess, load_register
from climaterisk.analysis.financial_effects import current_figures, financial_effects
from climaterisk.cli import app
from climaterisk.outputs.report.financial import (
    _entries,
    _figure_mark,
    budget_table,
    effects_table,
    investment_blocks,
    plan_table,
)

TRIALS, SEED = 2000, 5


@pytest.fixture(scope="module")
def run():
    return assess(load_register(), "rcp45", trials=TRIALS, seed=SEED, horizons=[2025, 2030, 2050],
                  with_controls=False, with_coverage=False)


def _lognormal_mean(p5: float, p95: float) -> float:
    z = norm.ppf(0.95)
    mu, sigma = (math.log(p5) + math.log(p95)) / 2, (math.log(p95) - math.log(p5)) / (2 * z)
    return math.exp(mu + sigma**2 / 2)


def test_base_year_budget_is_after_controls_and_derived(run):
    """R4's base-year amount: the mean of its CNY 2-8 m range (driver ratio 1 in 2023) times the
    cost factors of C7, C8, C10 (0.9 x 0.85 x 0.95), marked derived from its assumed inputs, not
    with its input's own mark."""
    reg = run.register
    figures = {f.what.split()[0]: f for f in current_figures(reg, run.scenario)}
    r4 = figures["R4"]
    expected = _lognormal_mean(2e6, 8e6) * 0.9 * 0.85 * 0.95
    assert r4.amount == pytest.approx(expected, rel=1e-9)
    assert r4.computed and f"{_lognormal_mean(2e6, 8e6):,.0f} before controls" in r4.note
    assert {e for e, _ in r4.inputs} == {"R4", "C7", "C8", "C10"}  # C9 acts on carbon cost only
    assert _figure_mark(reg, r4) == "derived, from 4 assumed inputs"
    # without a scenario: the amount before controls, said so
    (before,) = [f for f in current_figures(reg) if f.what.startswith("R4")]
    assert before.amount == pytest.approx(_lognormal_mean(2e6, 8e6), rel=1e-12)
    assert "before controls" in before.note


def test_budgeted_programmes_follow_the_source(run):
    """R5's programme is booked to operating costs (the source names compliance and operating
    costs, seed line 236), so no budgeted capital expenditure is reported."""
    for h in financial_effects(run).horizons:
        assert {(b.risk_id, b.line_item) for b in h.budgeted} == {("R4", "operating_cost"),
                                                                 ("R5", "operating_cost")}
    text = investment_blocks(financial_effects(run), run.register)[0]
    assert "Budgeted capital expenditure" not in text
    assert "records no disposal plan" in text and "No disposal is planned" not in text


def test_plan_marks_count_each_lines_own_inputs(run):
    reg = run.register
    fe = financial_effects(run)
    effects = {r[1]: r[-1] for r in effects_table(fe, reg).rows if r[0].startswith("2050")}
    plan = {r[0]: r[-1] for r in plan_table(fe, reg).rows}
    for name in ("operating costs", "revenue", "capital expenditure", "asset impairment"):
        assert plan[name] == effects[name]
    assert plan["total risk loss"] == effects["total risk loss"]
    # the budgeted amounts rest on R4's and R5's budgeted models (1 assumed input each) and the
    # controls acting on them: C7, C8, C10 on R4, C12 on R5 (1 assumed effect each)
    assert plan["budgeted spending"] == "derived, from 6 assumed inputs"
    budget = {r[1]: r[-1] for r in budget_table(fe, reg).rows if r[0] == 2050}
    assert budget == {"R4": "derived, from 4 assumed inputs", "R5": "derived, from 2 assumed inputs"}
    assert _entries(reg, "asset_impairment")[0] == "R5"


def test_budget_note_does_not_call_a_range_one_value(run):
    note = budget_table(financial_effects(run), run.register).note
    assert "holds the amount at one value" not in note
    assert "epistemic" in note and "held here at the mean of its range" in note


def test_disclosures_check_agrees_with_the_report():
    """`disclosures --check` runs the report's years with line items and next year: 16(b) met with
    the damage of 2024 (the report's assets table), 16(d) met (short term simulated)."""
    result = CliRunner().invoke(app, ["disclosures", "--check", "--compare", "none", "--trials",
                                      str(TRIALS), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    items = data if isinstance(data, list) else data["items"]
    status = {i["id"]: i for i in items}
    assert status["s2-16b"]["status"] == "met" and "in 2024" in status["s2-16b"]["reason"]
    assert status["s2-16d"]["status"] == "met"
