"""The committee's decisions in the register: residual ratings, treatment decisions, the gaps of
decisions past their review date, and the decisions taken between two registers."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml
from typer.testing import CliRunner

from climaterisk.analysis import graph
from climaterisk.analysis.decisions import decisions_between, decisions_due, residual_ranks
from climaterisk.cli import app
from climaterisk.errors import InputError
from climaterisk.register import load_register
from tests.conftest import register_files, write_register

runner = CliRunner()


def _with_decisions(files: dict, **treatment: object) -> dict:
    r1 = files["risks.yaml"]["risks"][0]
    r1["residual_rating"] = {"likelihood": 2, "impact": 3}
    r1["treatment"] = {"decision": "accept", "approver": "Risk committee", "date": "2020-06-30",
                       "rationale": "Within appetite after the\n  flood barriers.",
                       "review_date": "2020-09-30", **treatment}
    return files


def test_residual_rating_and_treatment_are_read(tmp_path):
    reg = load_register(write_register(tmp_path / "reg", _with_decisions(register_files())))
    r1 = next(r for r in reg.risks if r.id == "R1")
    assert (r1.likelihood, r1.impact, r1.residual_likelihood, r1.residual_impact) == (3, 4, 2, 3)
    assert r1.treatment.decision == "accept" and r1.treatment.approver == "Risk committee"
    assert r1.treatment.date == dt.date(2020, 6, 30) and r1.treatment.review_date == dt.date(2020, 9, 30)
    assert r1.treatment.rationale == "Within appetite after the flood barriers."
    others = [r for r in reg.risks if r.id != "R1"]
    assert others and all(r.treatment is None and r.residual_likelihood is None for r in others)


def test_bad_decisions_are_all_reported_at_once(tmp_path):
    files = _with_decisions(register_files(), decision="ignore", review_date="2020-01-01")
    files["risks.yaml"]["risks"][0]["residual_rating"] = {"likelihood": 6, "impact": 0}
    with pytest.raises(InputError) as exc:
        load_register(write_register(tmp_path / "reg", files))
    where = {(p.entry, p.field) for p in exc.value.problems}
    assert ("R1", "treatment.decision") in where
    assert ("R1", "residual_rating.likelihood") in where and ("R1", "residual_rating.impact") in where
    expected = " ".join(p.expected for p in exc.value.problems)
    assert "mitigate" in expected and "accept" in expected


def test_review_date_before_the_decision_is_refused(tmp_path):
    files = _with_decisions(register_files(), review_date="2020-01-01")
    with pytest.raises(InputError) as exc:
        load_register(write_register(tmp_path / "reg", files))
    [problem] = exc.value.problems
    assert (problem.entry, problem.field) == ("R1", "treatment.review_date")
    assert "2020-06-30" in problem.expected


def test_decisions_due_and_the_gap_rule(tmp_path):
    reg = load_register(write_register(tmp_path / "reg", _with_decisions(register_files())))
    # the register's as_of 2020-12-31 is 92 days after the review date 2020-09-30
    [due] = decisions_due(reg, reg.as_of)
    assert due["risk"] == "R1" and due["decision"] == "accept" and due["days_overdue"] == 92
    assert decisions_due(reg, dt.date(2020, 9, 30)) == []  # due on the day, not past it
    assert decisions_due(reg, dt.date(2020, 10, 1))[0]["days_overdue"] == 1
    found = [g for g in graph.find_gaps(reg) if g.rule == graph.DECISION_DUE_RULE]
    assert [g.entity for g in found] == ["R1"]
    assert "2020-09-30" in found[0].reason and "92 days before 2020-12-31" in found[0].reason
    # an earlier assessment date (the quarter reviewed) is not past the review date
    assert not [g for g in graph.find_gaps(reg, dt.date(2020, 9, 1)) if g.rule == graph.DECISION_DUE_RULE]


def test_gaps_command_lists_the_overdue_decision(tmp_path):
    folder = write_register(tmp_path / "reg", _with_decisions(register_files()))
    result = runner.invoke(app, ["gaps", "--register", str(folder), "--format", "json"])
    assert result.exit_code == 0, result.output
    gaps = json.loads(result.output)["gaps"]
    assert [g["entity"] for g in gaps if g["rule"] == graph.DECISION_DUE_RULE] == ["R1"]


def test_decisions_between_two_registers(tmp_path):
    old = load_register(write_register(tmp_path / "old", register_files()))
    files = _with_decisions(register_files())
    new = load_register(write_register(tmp_path / "new", files))
    [added] = decisions_between(old, new)
    assert added["risk"] == "R1" and added["change"] == "added" and added["before"] is None
    assert added["after"]["decision"] == "accept" and added["after"]["review_date"] == "2020-09-30"
    assert added["residual_rating"] == {"before": None, "after": {"likelihood": 2, "impact": 3}}
    assert decisions_between(new, new) == []
    files["risks.yaml"]["risks"][0]["treatment"]["decision"] = "transfer"
    files["risks.yaml"]["risks"][0]["treatment"]["approver"] = "Board"
    changed = load_register(write_register(tmp_path / "changed", files))
    [row] = decisions_between(new, changed)
    assert row["change"] == "changed" and row["fields"] == ["decision", "approver"]
    assert (row["before"]["decision"], row["after"]["decision"]) == ("accept", "transfer")
    assert "residual_rating" not in row
    files["risks.yaml"]["risks"][0]["residual_rating"] = {"likelihood": 1, "impact": 3}
    rerated = load_register(write_register(tmp_path / "rerated", files))
    [row] = decisions_between(changed, rerated)
    assert row["change"] == "rating changed" and row["fields"] == []
    assert row["residual_rating"]["after"] == {"likelihood": 1, "impact": 3}
    [removed] = decisions_between(rerated, old)
    assert removed["change"] == "removed" and removed["after"] is None


def test_shipped_register_decisions_come_from_the_source():
    reg = load_register()
    raw = yaml.safe_load((reg.path / "risks.yaml").read_text(encoding="utf-8"))
    from_report = [r for r in raw["risks"] if r["source"].startswith("esg2023:")]
    assert from_report
    for item in raw["risks"]:
        risk = next(r for r in reg.risks if r.id == item["id"])
        assert risk.residual_likelihood is None  # the source gives no residual rating
        if item in from_report:  # the report's responses: mitigate, nothing it does not disclose
            assert risk.treatment.decision == "mitigate"
            assert risk.treatment.approver is None and risk.treatment.date is None
            assert risk.treatment.review_date is None
            assert risk.treatment.source.startswith("esg2023: §1.1 risk table")
            assert all(c in risk.treatment.rationale for c in risk.control_ids if c not in ("C18", "C19"))
        else:
            assert risk.treatment is None
    assert decisions_due(reg, dt.date(2100, 1, 1)) == []


class _Line:
    def __init__(self, rid: str, eal: float) -> None:
        self.id = rid
        self.residual = type("M", (), {"mean": eal})()


def test_residual_ranks_share_ties():
    horizon = type("H", (), {"by_risk": [_Line("R1", 5.0), _Line("R2", 9.0), _Line("R3", 5.0),
                                         _Line("R4", 1.0)]})()
    result = type("A", (), {"horizons": [horizon]})()
    assert residual_ranks(result) == {"R2": 1, "R1": 2, "R3": 2, "R4": 4}


def test_register_show_puts_residual_beside_inherent(tmp_path):
    folder = write_register(tmp_path / "reg", _with_decisions(register_files()))
    result = runner.invoke(app, ["register", "show", "--register", str(folder)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("R1 ") and "accept" in line)
    assert row.split()[:2] == ["R1", "Flood"]
    assert "3 x 4" in row and "2 x 3" in row and row.index("3 x 4") < row.index("2 x 3")
    assert "Risk committee" in row and "2020-09-30" in row


def test_report_risks_table_puts_residual_and_simulated_rank_beside_inherent(tmp_path):
    from climaterisk import assess
    from climaterisk.analysis.options import AssessOptions
    from climaterisk.outputs.report.strategy import risks_table
    from climaterisk.scenarios import load_scenario
    from tests.conftest import scenario_dict, write_scenario

    reg = load_register(write_register(tmp_path / "reg", _with_decisions(register_files())))
    result = assess(reg, load_scenario(write_scenario(tmp_path / "sc.yaml", scenario_dict())),
                    AssessOptions.of(trials=500, seed=1, with_controls=False, with_coverage=False))
    table = risks_table(result)
    col = {name: i for i, name in enumerate(table.columns)}
    last = result.horizons[-1]
    assert f"simulated rank (residual EAL {last.year})" in col
    by_id = {row[0]: row for row in table.rows}
    assert by_id["R1"][col["rating (likelihood x impact)"]] == "3 x 4"
    assert by_id["R1"][col["residual rating"]] == "2 x 3"
    ranked = sorted(last.by_risk, key=lambda line: -line.residual.mean)
    assert by_id[ranked[0].id][col[f"simulated rank (residual EAL {last.year})"]] == f"1 of {len(ranked)}"
    assert all(by_id[r.id][col["residual rating"]] == "-" for r in reg.risks if r.id != "R1")


def test_graph_exports_carry_ratings_and_decisions(tmp_path):
    folder = write_register(tmp_path / "reg", _with_decisions(register_files()))
    result = runner.invoke(app, ["graph", "--register", str(folder), "--format", "json"])
    assert result.exit_code == 0, result.output
    nodes = {n["id"]: n for n in json.loads(result.output)["nodes"]}
    r1, r2 = nodes["risk:R1"], nodes["risk:R2"]
    assert (r1["likelihood"], r1["impact"], r1["residual_likelihood"], r1["residual_impact"]) == (3, 4, 2, 3)
    assert (r1["treatment"], r1["treatment_approver"], r1["treatment_review_date"]) == (
        "accept", "Risk committee", "2020-09-30")
    assert "treatment" not in r2 and "residual_likelihood" not in r2  # only what is given
    graphml = runner.invoke(app, ["graph", "--register", str(folder), "--format", "graphml"]).output
    assert 'attr.name="treatment_review_date"' in graphml


@pytest.mark.parametrize(("as_of", "overdue"), [("2020Q3", []), ("2020-10-01", ["R1"]), ("2021Q1", ["R1"])])
def test_gaps_as_of_a_day_or_a_quarter_end(tmp_path, as_of, overdue):
    """gaps --as-of judges dates on that day, or on the last day of a quarter as review does."""
    folder = write_register(tmp_path / "reg", _with_decisions(register_files()))
    result = runner.invoke(app, ["gaps", "--register", str(folder), "--format", "json", "--as-of", as_of])
    assert result.exit_code == 0, result.output
    gaps = json.loads(result.output)["gaps"]
    assert [g["entity"] for g in gaps if g["rule"] == graph.DECISION_DUE_RULE] == overdue


def test_gaps_as_of_is_checked():
    result = runner.invoke(app, ["gaps", "--as-of", "2026-13-01"])
    assert result.exit_code == 2 and "expected a date YYYY-MM-DD or a quarter such as 2026Q4" in result.output
