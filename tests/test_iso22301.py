"""ISO 22301 as an auditor reads it (issue 13, items 4, 8 and 9): certificate holder and the
``unknown`` status, clause 8 for disruption risks only, the business impact analysis, post-incident
reviews, failover as a control (inherent has no control effect), and findings that rest on
assumed inputs saying so."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from climaterisk import load_register
from climaterisk.analysis.coverage import bia_summary, certification_coverage, clause_coverage
from climaterisk.analysis.graph import find_gaps
from climaterisk.cli import app
from climaterisk.model.compile import compile_portfolio
from climaterisk.model.controls import controls_config, inherent_config
from climaterisk.register.certification import certified_in, status_in
from climaterisk.scenarios import load_scenario
from tests.conftest import write_register

runner = CliRunner()


def by_kind(rows: list[dict]) -> dict[str, dict]:
    return {r["site_kind"]: r for r in rows}


def statuses_register(tmp_path, files):
    """Site a: the lessor's certificate; b: known not certified; c: no ``iso22301`` block (unknown)."""
    sites = files["sites.yaml"]["sites"]
    sites[0]["iso22301"] = {"status": "lessor", "holder": "Colo Ltd", "valid_until": "2030-06-30",
                            "source": "doc: p. 4"}
    sites[1]["iso22301"] = {"status": "not_certified", "source": "assumption: no certificate seen"}
    sites[2].pop("iso22301", None)
    return load_register(write_register(tmp_path / "st", files))


def test_unknown_site_is_neither_certified_nor_a_gap(tmp_path, mini_files):
    reg = statuses_register(tmp_path, mini_files)
    c = reg.site("c")
    assert c.iso_status == "unknown" and not c.iso_certified
    assert status_in(reg, c) == "unknown" and not certified_in(reg, c)
    office = by_kind(certification_coverage(reg))["office"]
    assert (office["unknown"], office["certified"], office["not_certified"]) == (1, 0, 0)
    assert office["sites_by_status"]["unknown"] == ["c"]
    gaps = {(g.rule, g.entity) for g in find_gaps(reg)}
    assert ("acute site without ISO 22301", "c") not in gaps  # c faces R1, but nothing is known
    assert ("acute site without ISO 22301", "b") in gaps  # known not to be certified


def test_lessor_certificate_counts_under_its_own_heading(tmp_path, mini_files):
    reg = statuses_register(tmp_path, mini_files)
    a = reg.site("a")
    assert (a.iso_status, a.iso_holder) == ("lessor", "Colo Ltd")
    assert certified_in(reg, a) and certified_in(reg, a, holder="lessor")
    assert not certified_in(reg, a, holder="company")
    leased = by_kind(certification_coverage(reg))["leased_dc"]
    assert (leased["lessor"], leased["company"], leased["not_certified"], leased["unknown"]) == (1, 0, 1, 0)
    assert leased["certified"] == 1 and leased["lessor_share_by_count"] == pytest.approx(0.5)
    assert not any(g.entity == "a" for g in find_gaps(reg))


def test_older_register_forms_still_load(tmp_path, mini_files):
    """``certified: true`` alone reads as the company's certificate, ``certified: false`` as not
    certified, and no block at all as unknown (the documented defaults)."""
    sites = mini_files["sites.yaml"]["sites"]
    sites[1]["iso22301"] = {"certified": False, "valid_until": None}
    reg = load_register(write_register(tmp_path / "old", mini_files))
    assert [s.iso_status for s in reg.sites] == ["company", "not_certified", "unknown"]


def test_shipped_register_separates_lessor_and_unknown():
    reg = load_register()
    rows = by_kind(certification_coverage(reg))
    leased = rows["leased_dc"]
    assert (leased["lessor"], leased["not_certified"], leased["company"]) == (5, 2, 0)
    assert f"{leased['share_by_count']:.1%}" == "71.4%"  # the report's figure, seed line 247
    assert rows["self_built_dc"]["unknown"] == 1 and rows["office"]["unknown"] == 2
    assert rows["all"]["company"] == 0  # the report names no certificate of Kuaishou's own BCMS
    gaps = {g.entity for g in find_gaps(reg) if g.rule == "acute site without ISO 22301"}
    assert gaps == {"leased-dc-4", "leased-dc-7"}


def test_chronic_and_transition_risks_raise_no_clause_8_gap(mini_register_path):
    reg = load_register(mini_register_path)
    cov = clause_coverage(reg, 2030)
    rows = {m["risk"]: m for m in cov["matrix"]}
    assert rows["R1"]["applicable"] and not rows["R2"]["applicable"] and not rows["R3"]["applicable"]
    assert {g["risk"] for g in cov["gaps"]} == {"R1"}  # R2 chronic, R3 policy: no gap
    assert rows["R2"]["fully_covered_share"] is None
    rules = {(g.rule, g.entity) for g in find_gaps(reg)}
    assert ("no ISO 22301 clause 8", "R2") not in rules and ("no ISO 22301 clause 8", "R3") not in rules


def test_a_risk_with_a_downtime_model_is_a_disruption_risk(tmp_path, mini_files):
    risk = mini_files["risks.yaml"]["risks"][0]
    risk["category"], risk["controls"] = "physical_chronic", []  # chronic, but with outage days
    reg = load_register(write_register(tmp_path / "d", mini_files))
    assert reg.risks[0].is_disruption
    assert ("no ISO 22301 clause 8", "R1") in {(g.rule, g.entity) for g in find_gaps(reg)}


def test_bia_loads_and_evidences_clause_8_2_2(tmp_path, mini_files):
    mini_files["bia.yaml"] = {"activities": [
        {"id": "play", "name": "Playback", "priority": 1, "mtpd_days": 2, "rto_days": 0.5,
         "rpo_hours": {"value": 1, "source": "assumption: test"}, "mbco": "Reduced bit rate",
         "depends_on": {"sites": ["a"], "activities": ["ads"]}},
        {"id": "ads", "name": "Ads", "mtpd_days": 3, "rto_days": 1, "rpo_hours": 4, "mbco": "Cached ads",
         "depends_on": {"sites": ["a", "b"]}},
    ]}
    reg = load_register(write_register(tmp_path / "b", mini_files))
    assert [a.id for a in reg.bia] == ["play", "ads"]
    summary = bia_summary(reg)
    assert summary[0]["id"] == "play" and summary[0]["depends_on_activities"] == ["ads"]
    assert summary[0]["depends_on_sites"] == [{"site": "a", "iso22301": "company"}]
    r1 = next(m for m in clause_coverage(reg, 2030)["matrix"] if m["risk"] == "R1")
    assert r1["clauses"]["8.2.2"]["covered_kinds"] == ["leased_dc"]  # the BIA names leased sites only
    assert any(p.field == "rpo_hours" and p.is_assumption for p in reg.provenance)


def test_post_incident_review_is_distinct_from_an_exercise(tmp_path, mini_files):
    c2 = mini_files["controls.yaml"]["controls"][1]
    c2["last_incident_review"] = {"value": "2020-09-01", "source": "doc: p. 7"}
    reg = load_register(write_register(tmp_path / "pir", mini_files))
    ctrl = reg.control("C2")
    assert str(ctrl.last_incident_review) == "2020-09-01" and str(ctrl.last_tested) == "2019-01-01"
    # the review does not make the control tested: the exercise (8.5) is still overdue
    assert ("control not tested", "C2") in {(g.rule, g.entity) for g in find_gaps(reg)}


# --------------------------------------------------------------------------- assumed findings


def test_a_gap_from_an_assumed_date_says_it_is_assumed(tmp_path, mini_files):
    controls = mini_files["controls.yaml"]["controls"]
    controls[1]["last_tested"] = {"value": "2019-01-01", "source": "assumption: drill log not seen"}
    reg = load_register(write_register(tmp_path / "a", mini_files))
    gap = next(g for g in find_gaps(reg) if (g.rule, g.entity) == ("control not tested", "C2"))
    assert gap.assumed == "drill log not seen"
    assert "last tested 2019-01-01 (assumed date: drill log not seen)" in gap.reason
    # a date with a document source is a fact: the finding says nothing of an assumption
    controls[1]["last_tested"] = {"value": "2019-01-01", "source": "doc: drill log"}
    fact = load_register(write_register(tmp_path / "f", mini_files))
    gap = next(g for g in find_gaps(fact) if (g.rule, g.entity) == ("control not tested", "C2"))
    assert gap.assumed == "" and "assumed" not in gap.reason


def test_gaps_command_says_which_findings_are_assumed(tmp_path):
    table = runner.invoke(app, ["gaps"])
    assert table.exit_code == 0, table.output
    assert "(assumed date:" in table.output
    assert "of them resting on inputs marked as assumptions" in table.output
    md = runner.invoke(app, ["gaps", "--format", "markdown"])
    assert "(assumed date:" in md.output and "(assumed status:" in md.output
    data = json.loads(runner.invoke(app, ["gaps", "--format", "json"]).output)
    c1 = next(g for g in data["gaps"] if g["entity"] == "C1")
    assert c1["assumed"] and "(assumed date: " in c1["reason"]


# --------------------------------------------------------------------------- mitigation counted once


def test_inherent_interruption_cost_is_the_full_share_and_failover_is_a_control():
    reg = load_register()
    ulanqab = reg.site("ulanqab-dc")
    # CNY 311 m/day x 20.7% traffic share, with no failover factor
    assert ulanqab.interruption_cost_per_day == pytest.approx(311e6 * 0.207, rel=0.01)
    c18 = reg.control("C18")
    assert c18.downtime == pytest.approx(0.7) and "8.3" in c18.clauses
    c2_basis = next(p.source for p in reg.provenance if p.entry == "C2" and p.field == "effect.downtime")
    assert "failover to other sites is control C18 and is not counted here" in c2_basis
    # no site's interruption cost takes a failover factor any more
    assert not any("residual after failover" in p.source for p in reg.provenance
                   if p.field == "interruption_cost_per_day")
    for risk_id in ("R1", "R2"):
        risk = next(r for r in reg.risks if r.id == risk_id)
        assert {"C18", "C19"} <= set(risk.control_ids)


def test_inherent_has_no_control_effect():
    reg = load_register()
    scenario = load_scenario("rcp45")
    portfolio = compile_portfolio(reg, scenario, 2050)
    inherent = inherent_config(portfolio)
    assert np.all(inherent.keep == 1) and np.all(inherent.sev_a == 1) and np.all(inherent.sev_b == 1)
    assert inherent.deductible.shape[1] == 0
    residual = controls_config(reg, portfolio)
    links = portfolio.links
    dc = {s.id for s in reg.sites if s.kind in ("self_built_dc", "leased_dc")}
    acute = [i for i in range(len(links)) if links.site[i] >= 0
             and links.hazard[i] in ("typhoon", "extreme_precipitation")  # R1, R2 (C2 is for floods)
             and portfolio.site_ids[links.site[i]] in dc]
    assert acute
    # residual downtime at data centres carries failover (C18) x drills (C2) x notification (C19)
    for i in acute:
        assert residual.sev_b[i] <= (1 - 0.7) * (1 - 0.25) * (1 - 0.1) + 1e-12


def test_report_risk_management_section_marks_assumed_findings():
    from pathlib import Path

    md = (Path(__file__).parent / "golden" / "report-rcp45.md").read_text(encoding="utf-8")
    section = md.split("## Risk management", 1)[1].split("\n## ", 1)[0]
    assert "**Gaps in the register as of 2023-12-31**" in section
    assert "(assumed date: " in section and "(assumed status: " in section
    assert "| company BCMS | lessor | not certified | unknown |" in section


def test_coverage_output_separates_the_four_statuses():
    result = runner.invoke(app, ["coverage", "--trials", "2000", "--horizon", "2030"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "company BCMS" in out and "lessor" in out and "unknown" in out and "n/a" in out
    assert "The register lists no activity of a business impact analysis" in out  # bia.yaml is empty
    data = json.loads(runner.invoke(app, ["coverage", "--trials", "2000", "--horizon", "2030",
                                          "--format", "json"]).output)
    iso = data["iso22301"]
    assert set(iso["statuses"]) == {"company", "lessor", "not_certified", "unknown"}
    exp = iso["exposure"][0]["residual"]
    assert {"events_on_lessor_certified_share", "events_on_company_certified_share",
            "events_on_unknown_status_share", "p_event_at_unknown_status_site"} <= set(exp)
    assert exp["events_on_company_certified_share"]["value"] == 0.0  # no company certificate
    assert iso["bia"] == []
