"""The disclosure index (`climaterisk disclosures`), the statements the report derives or takes from
the register, the consistency rules (`climaterisk gaps --scenario`) and the industry-based metrics."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from climaterisk import AssessOptions, assess
from climaterisk.analysis import consistency, disclosure_index, industry, statements
from climaterisk.cli import app
from climaterisk.refdata import disclosure_index as index_data
from climaterisk.register import load_register
from climaterisk.scenarios import load_scenario
from tests.conftest import write_register

runner = CliRunner()

LISTED = ["6(a)", "6(b)", "10(a)", "10(b)", "10(c)", "10(d)", "13", "14", "16(a)", "16(b)", "16(c)",
          "16(d)", "17-21", "22(a)(i)", "22(a)(ii)", "22(a)(iii)",
          *[f"22(b)(i)({i})" for i in range(1, 8)], "22(b)(ii)", "22(b)(iii)",
          "25(a)(i)", "25(a)(ii)", "25(a)(iii)", "25(a)(iv)", "25(a)(v)", "25(a)(vi)", "25(b)", "25(c)",
          "29(a)", "29(a)(v)", "29(a)(vi)", "29(b)", "29(c)", "29(d)", "29(e)", "29(f)", "29(g)",
          "32, 37", "33", "34", "35", "36"]
"""The IFRS S2 paragraphs the index must list (issue 16)."""


def _run(reg, scenario_path, trials: int = 2000):
    return assess(reg, load_scenario(scenario_path), AssessOptions.of(trials=trials, with_controls=False,
                                                                      with_coverage=False))


@pytest.fixture(scope="module")
def shipped_statuses() -> list[disclosure_index.ItemStatus]:
    reg = load_register(None)
    runs = [_run(reg, s, 1000) for s in ("rcp45", "rcp26")]
    ctx = disclosure_index.Context(reg, runs[0], runs[1:], consistency.find_inconsistencies(reg, runs[0]))
    return disclosure_index.check_index(ctx)


def test_index_lists_every_paragraph_with_its_own_words():
    items = index_data()["items"]
    paragraphs = {i["paragraph"] for i in items if i["framework"] == "IFRS S2"}
    assert set(LISTED) <= paragraphs
    assert {i["framework"] for i in items} == {"IFRS S2", "HKEX Part D"}
    assert all(i["check"] in disclosure_index.CHECKS or i["check"] == "hkex_mirror" for i in items)
    assert all(i["how"] in ("computed", "register text", "omitted with explanation", "relief used")
               for i in items)
    mirrored = {m for i in items for m in i.get("mirrors", [])}
    assert mirrored <= {i["id"] for i in items}


def test_every_listed_paragraph_has_a_status(shipped_statuses):
    by_paragraph = {s.paragraph: s for s in shipped_statuses if s.framework == "IFRS S2"}
    for para in LISTED:
        assert by_paragraph[para].status in disclosure_index.STATUSES
        assert by_paragraph[para].reason.strip()
    assert len(shipped_statuses) == len(index_data()["items"])
    # the shipped register: the target review is stated in the source (met), scenario analysis in risk
    # identification is not (gap), and R4/R5 report losses past their declared horizons (contradicted)
    assert by_paragraph["34"].status == "met"
    assert by_paragraph["25(a)(ii)"].status == "gap"
    assert by_paragraph["10(c)"].status == "contradicted"
    assert by_paragraph["29(b)"].status == "contradicted"


def _mini_with_statements(mini_files, **texts: str):
    mini_files["register.yaml"]["disclosure"] = {"statements": dict(texts)}
    return mini_files


def test_removing_a_field_turns_met_into_gap_and_strict_fails(tmp_path, mini_files, mini_scenario_path):
    base = ["disclosures", "--check", "--scenario", str(mini_scenario_path), "--compare", "none",
            "--trials", "500", "--format", "json", "--store", str(tmp_path / "none.sqlite")]
    with_text = write_register(tmp_path / "with", _mini_with_statements(
        mini_files, target_review="The board reviews the targets each year (doc: p. 9)."))
    result = runner.invoke(app, [*base, "--register", str(with_text)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    items = {i["id"]: i for i in json.loads(result.output)["items"]}
    assert items["s2-34"]["status"] == "met"

    mini_files["register.yaml"]["disclosure"]["statements"]["target_review"] = ""
    without = write_register(tmp_path / "without", mini_files)
    result = runner.invoke(app, [*base, "--register", str(without)], catch_exceptions=False)
    assert result.exit_code == 0  # --check alone never fails
    items = {i["id"]: i for i in json.loads(result.output)["items"]}
    assert items["s2-34"]["status"] == "gap"
    assert "target_review" in items["s2-34"]["reason"]
    strict = runner.invoke(app, [*base, "--strict", "--register", str(without)], catch_exceptions=False)
    assert strict.exit_code == 1


def test_strict_passes_when_nothing_fails(monkeypatch, tmp_path, mini_files, mini_scenario_path):
    reg = write_register(tmp_path / "r", mini_files)
    monkeypatch.setattr(disclosure_index, "failing", lambda statuses: [])
    result = runner.invoke(app, ["disclosures", "--strict", "--register", str(reg), "--scenario",
                                 str(mini_scenario_path), "--compare", "none", "--trials", "300",
                                 "--store", str(tmp_path / "none.sqlite")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert re.search(r"\d+ met, \d+ partly met, \d+ gap, \d+ contradicted", result.output)


def test_relief_and_explanation(tmp_path, mini_files, mini_scenario_path):
    mini_files["register.yaml"]["disclosure"] = {
        "reliefs": [{"item": "s2-16c", "relief": "IFRS S2 19-20: effects not separately identifiable",
                     "reason": "the investment plan is not tracked by risk (doc: p. 2)"}],
        "explanations": {"hkex-scope3": "Scope 3 is being screened; first figures next year (doc: p. 5)."},
    }
    reg = load_register(write_register(tmp_path / "r", mini_files))
    run = _run(reg, mini_scenario_path, 300)
    statuses = {s.id: s for s in disclosure_index.check_index(disclosure_index.Context(reg, run))}
    assert (statuses["s2-16c"].status, statuses["s2-16c"].how) == ("met", "relief used")
    assert statuses["s2-16b"].status == "met"  # the financial-effects bridge's assets at risk
    assert statuses["hkex-scope3"].status == "met"
    assert statuses["hkex-scope3"].how == "omitted with explanation"


def test_index_without_check_lists_items():
    result = runner.invoke(app, ["disclosures", "--format", "markdown"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "| IFRS S2 | 22(b)(i)(4) |" in result.output


# ------------------------------------------------------------------ consistency rules


def test_rating_vs_simulation(tmp_path, mini_files, mini_scenario_path):
    reg = load_register(write_register(tmp_path / "r", mini_files))
    run = _run(reg, mini_scenario_path)
    eal = {line.id: line.inherent.mean for line in run.horizons[-1].by_risk}
    order = sorted(eal, key=lambda k: -eal[k])
    # ratings in the simulated order: consistent at any threshold
    for risk, score in zip(order, (5, 3, 1), strict=True):
        rating = next(r for r in mini_files["risks.yaml"]["risks"] if r["id"] == risk)["rating"]
        rating.update(likelihood=score, impact=score)
    reg = load_register(write_register(tmp_path / "ok", mini_files))
    assert consistency.rating_vs_simulation(_run(reg, mini_scenario_path), rank_gap=0.5) == []
    # the smallest loss rated highest: two places off its simulated rank
    smallest = next(r for r in mini_files["risks.yaml"]["risks"] if r["id"] == order[-1])
    smallest["rating"] = {"likelihood": 5, "impact": 5}
    largest = next(r for r in mini_files["risks.yaml"]["risks"] if r["id"] == order[0])
    largest["rating"] = {"likelihood": 4, "impact": 4}
    reg = load_register(write_register(tmp_path / "bad", mini_files))
    found = consistency.rating_vs_simulation(_run(reg, mini_scenario_path), rank_gap=1.5)
    assert [f.entity for f in found] == [order[-1]]
    assert "more than 1.5 places apart" in found[0].reason
    assert found[0].items == ("s2-25aiii", "s2-25aiv")
    assert consistency.rating_vs_simulation(_run(reg, mini_scenario_path), rank_gap=2.0) == []


def test_losses_past_declared_horizons(tmp_path, mini_files, mini_scenario_path):
    reg = load_register(write_register(tmp_path / "r", mini_files))
    found = consistency.losses_past_horizons(_run(reg, mini_scenario_path))
    assert [f.entity for f in found] == ["R3"]  # declared for the medium term (2030), reported in 2050
    assert "to 2030" in found[0].reason and "in 2050" in found[0].reason
    mini_files["risks.yaml"]["risks"][2]["time_horizons"] = ["medium", "long"]
    reg = load_register(write_register(tmp_path / "fixed", mini_files))
    assert consistency.losses_past_horizons(_run(reg, mini_scenario_path)) == []


def test_metric_by_construction(tmp_path, mini_files):
    opp = mini_files["opportunities.yaml"]["opportunities"][0]
    opp["sites"] = "all"
    found = consistency.metrics_by_construction(load_register(write_register(tmp_path / "all", mini_files)))
    assert [(f.entity, f.items) for f in found] == [("IFRS S2 29(d)", ("s2-29d",))]
    assert "100.0% of asset value by construction" in found[0].reason
    opp["sites"] = ["b"]  # one site of its kind, named for itself: not by construction
    assert consistency.metrics_by_construction(
        load_register(write_register(tmp_path / "one", mini_files))) == []
    # 29(b): a transition risk above the threshold naming every site
    mini_files["register.yaml"]["disclosure"] = {"transition_vulnerability_rating": 4}
    mini_files["risks.yaml"]["risks"][2]["sites"] = "all"
    found = consistency.metrics_by_construction(load_register(write_register(tmp_path / "b", mini_files)))
    assert [f.entity for f in found] == ["IFRS S2 29(b)"]


def test_none_where_the_source_is_silent(tmp_path, mini_files):
    site = mini_files["sites.yaml"]["sites"][2]
    site["renewable_share"] = {"value": 0.0, "source": "assumption: the report gives none"}
    mini_files["register.yaml"]["disclosure"] = {
        "internal_carbon_price": {"value": 0, "source": "assumption: not mentioned"},
        "remuneration_link": "None."}
    found = consistency.none_where_silent(load_register(write_register(tmp_path / "r", mini_files)))
    assert {f.entity for f in found} == {"c renewable_share", "disclosure.internal_carbon_price",
                                         "disclosure.remuneration_link"}
    assert any(f.items == ("s2-29f",) for f in found)
    site["renewable_share"] = {"value": 0.0, "source": "doc: p. 7 (no renewable supply)"}
    mini_files["register.yaml"]["disclosure"] = {
        "internal_carbon_price": {"value": 0, "source": "doc: p. 8 states no internal carbon price"},
        "remuneration_link": "None (doc: p. 9)."}
    assert consistency.none_where_silent(load_register(write_register(tmp_path / "ok", mini_files))) == []


def test_gaps_command_shows_consistency(tmp_path, mini_files, mini_scenario_path):
    reg = write_register(tmp_path / "r", mini_files)
    plain = runner.invoke(app, ["gaps", "--register", str(reg)], catch_exceptions=False)
    assert "need a run: add --scenario" in plain.output
    ran = runner.invoke(app, ["gaps", "--register", str(reg), "--scenario", str(mini_scenario_path),
                              "--trials", "500", "--format", "json"], catch_exceptions=False)
    data = json.loads(ran.output)
    assert [c["entity"] for c in data["consistency"] if c["rule"] == "loss past declared horizons"] == ["R3"]


# ------------------------------------------------------------------ statements and industry metrics


def test_empty_judgement_is_marked(tmp_path, mini_files, mini_scenario_path):
    reg = load_register(write_register(tmp_path / "r", _mini_with_statements(mini_files, value_chain="")))
    said = {s.item: s for s in statements.all_statements(_run(reg, mini_scenario_path, 300), [])}
    assert said["s2-13"].basis == "not stated"
    assert "[NOT STATED" in said["s2-13"].text and "value_chain" in said["s2-13"].text
    assert said["s2-22bi7"].basis == "computed"
    assert "3 of the register's 3 sites" in said["s2-22bi7"].text
    assert "Only one scenario" in said["s2-22ai"].text


def test_paris_alignment_from_warming_level():
    verdicts = {s: statements.paris_alignment(load_scenario(s))[0] for s in ("rcp26", "rcp45", "rcp85")}
    assert verdicts == {"rcp26": "well below 2 °C", "rcp45": "not aligned", "rcp85": "not aligned"}


def test_industry_metrics_of_the_shipped_register():
    reg = load_register(None)
    rows = {m.label: m for m in industry.industry_metrics(reg)}
    energy = rows["Total energy consumed"]
    assert energy.value == pytest.approx(1867899.69 * 3.6)
    assert rows["Water withdrawn"].value == pytest.approx(2334.8)
    assert rows["Water consumed"].value == pytest.approx(2334.8 - 801.6)
    stressed = rows["Share of water withdrawn in regions of high or extremely high baseline water stress"]
    assert stressed.mark == "assumed" and 0 < stressed.value < 1
    assert rows["PUE, Ulanqab self-built data-centre park"].mark == "reported"
    assert rows["WUE, Leased data centre 1 (Beijing, Shunyi suburbs)"].mark == "assumed"
    assert "seed line 263" in rows["Environmental considerations in data-centre planning"].definition


def test_budgeted_spending_past_declared_horizons(tmp_path, mini_files, mini_scenario_path):
    """A programme budgeted past the risk's last declared horizon is flagged like a loss would be."""
    r3 = mini_files["risks.yaml"]["risks"][2]  # declared for the medium term (2030)
    r3["models"] = [{"type": "annual_cost", "cost": {"p5": 5.0, "p95": 50.0}, "nature": "budgeted"}]
    reg = load_register(write_register(tmp_path / "r", mini_files))
    found = consistency.losses_past_horizons(_run(reg, mini_scenario_path))
    assert [f.entity for f in found] == ["R3"]
    assert "budgeted spending of EUR" in found[0].reason and "in 2050" in found[0].reason
    r3["time_horizons"] = ["medium", "long"]
    reg = load_register(write_register(tmp_path / "fixed", mini_files))
    assert consistency.losses_past_horizons(_run(reg, mini_scenario_path)) == []
