"""Loading and validating registers: the shipped one, and bad inputs reported precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from climaterisk import RegisterError, load_register
from climaterisk.register.distributions import LogNormal
from tests.conftest import write_register


def test_shipped_register_loads_and_matches_the_report():
    reg = load_register()
    assert reg.id == "kuaishou-2023" and reg.currency == "CNY"
    assert [r.id for r in reg.risks] == ["R1", "R2", "R3", "R4", "R5", "R6", "R7"]  # R7 added (issue 14)
    assert {r.category for r in reg.risks} == {
        "physical_acute", "physical_chronic", "policy_legal", "technology", "reputation", "market"}
    # C1-C17 from the risk table, C18-C19 the business-continuity solutions of seed line 247
    assert sorted(c.id for c in reg.controls) == sorted(f"C{i}" for i in range(1, 20))
    leased = [s for s in reg.sites if s.kind == "leased_dc"]
    assert len(leased) == 7 and sum(s.iso_certified for s in leased) == 5
    assert len(reg.opportunities) >= 2
    linked = {c for r in reg.risks for c in r.control_ids}
    assert linked == {c.id for c in reg.controls}


def test_shipped_register_sources_every_number():
    reg = load_register()
    unsourced = [p for p in reg.provenance if not p.source]
    assert unsourced == [], unsourced[:3]
    assert len(reg.assumptions) > 0
    assert all(p.source.split(":", 1)[1].strip() for p in reg.assumptions)


def test_interval_fit_cdf_at_bounds():
    for p5, p95 in ((0.001, 0.02), (1.0, 100.0), (5e6, 2e8)):
        d = LogNormal.from_interval(p5, p95)
        assert d.cdf(p5) == pytest.approx(0.05, abs=1e-12)
        assert d.cdf(p95) == pytest.approx(0.95, abs=1e-12)
        assert d.dist.mean() == pytest.approx(d.mean(), rel=1e-12)


def problems_of(tmp_path, files) -> list[str]:
    with pytest.raises(RegisterError) as info:
        load_register(write_register(tmp_path / "bad", files))
    return [str(p) for p in info.value.problems]


def test_every_problem_reported_at_once_with_file_entry_field(tmp_path, mini_files):
    site = mini_files["sites.yaml"]["sites"][0]
    site["replacment_value"] = site.pop("replacement_value")  # typo
    mini_files["risks.yaml"]["risks"][0]["models"][0]["damage"]["p5"] = 0.5  # p5 >= p95
    mini_files["controls.yaml"]["controls"][0]["effect"]["frequency"]["value"] = 1.5
    lines = problems_of(tmp_path, mini_files)
    assert len(lines) == 4, lines
    text = "\n".join(lines)
    assert "sites.yaml: a: replacment_value" in text and "did you mean 'replacement_value'" in text
    assert "sites.yaml: a: replacement_value: got None" in text
    assert "risks.yaml: R1: models[0].damage.p95: got 0.2; expected p95 > p5 (0.5)" in text
    expected = "expected a finite number >= 0 and <= 1"
    assert f"controls.yaml: C1: effect.frequency: got 1.5; {expected}" in text


def test_dangling_references_are_named(tmp_path, mini_files):
    mini_files["risks.yaml"]["risks"][0]["controls"].append("C99")
    mini_files["sites.yaml"]["sites"][1]["region"] = "nort"
    text = "\n".join(problems_of(tmp_path, mini_files))
    assert "R1: controls: got 'C99'; expected the id of a control" in text
    assert "b: region: got 'nort'" in text and "did you mean 'north'" in text


@pytest.mark.parametrize(("content", "expected"), [
    ("risks:\n  - id: R1\n    title: x: y\n", "line 3, column 13"),
    ("b: *x\n", "aliases (*name) are not allowed"),
    ("a: &x 1\n", "anchors (&name) are not allowed"),
    ("risks: []\nrisks: []\n", "duplicate key 'risks'"),
    ("!!python/object/apply:os.system [echo hi]\n", "valid YAML"),
])
def test_malformed_yaml(tmp_path, mini_files, content, expected):
    folder = write_register(tmp_path / "bad", mini_files)
    (folder / "risks.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(RegisterError) as info:
        load_register(folder)
    assert expected in str(info.value)


def test_not_utf8_and_missing_and_misnamed_files(tmp_path, mini_files):
    folder = write_register(tmp_path / "bad", mini_files)
    (folder / "sites.yaml").write_bytes("sites: []  # caf\xe9\n".encode("latin-1"))
    (folder / "risks.yaml").unlink()
    (folder / "control.yaml").write_text("controls: []\n", encoding="utf-8")
    with pytest.raises(RegisterError) as info:
        load_register(folder)
    text = str(info.value)
    assert "UTF-8" in text
    assert "risks.yaml: got None; expected this file (it is required)" in text
    assert "did you mean 'controls.yaml'" in text


def test_consistency_rules(tmp_path, mini_files):
    site = mini_files["sites.yaml"]["sites"][0]
    site["rto_days"] = 5.0  # longer than mtpd 3
    mini_files["controls.yaml"]["controls"][2].pop("effective_year")  # planned, no year
    mini_files["risks.yaml"]["risks"][2]["ifrs_s2_type"] = "physical"
    mini_files["sites.yaml"]["sites"][1]["hazards"]["flood"] = float("nan")
    mini_files["sites.yaml"]["sites"][0]["hazards"]["flood"]["source"] = "report: p. 3"
    text = "\n".join(problems_of(tmp_path, mini_files))
    assert "b: hazards.flood: got nan; expected a finite number >= 0" in text
    # the first pass stops before cross-file rules when a field is malformed; fix and rerun
    mini_files["sites.yaml"]["sites"][1]["hazards"]["flood"] = 0.1
    text = "\n".join(problems_of(tmp_path, mini_files))
    assert "a: rto_days: got 5.0; expected an RTO no longer than the MTPD (3 days)" in text
    assert "C3: effective_year" in text
    assert "R3: ifrs_s2_type: got 'physical'; expected transition" in text
    assert "hazards.flood.source: got 'report: p. 3'" in text


def test_selectors(tmp_path, mini_files):
    reg = load_register(write_register(tmp_path / "ok", mini_files))
    assert reg.risks[0].site_ids == ("a", "b", "c")
    assert reg.risks[1].site_ids == ("a", "b")
    assert reg.control("C1").site_ids == ("a", "b")
    assert reg.control("C2").site_ids is None


def test_libyaml_and_pure_python_loaders_read_the_same(tmp_path):
    """The fast libyaml path and the checked pure-Python loader build identical data from every
    shipped register and scenario file; a file with an anchor goes the checked way and is
    refused with its line."""
    import yaml

    from climaterisk import io

    if io._FAST_BASE is None:
        pytest.skip("PyYAML without libyaml")
    root = Path(__file__).resolve().parents[1]
    files = [*sorted((root / "registers").rglob("*.yaml")), *sorted((root / "scenarios").glob("*.yaml"))]
    assert len(files) > 6
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert io._screened(text)
        assert yaml.load(text, Loader=io._FastLoader) == yaml.load(text, Loader=io._SafeLoader), path
    assert not io._screened("a: &x [1]\nb: *x\n")
    bad = tmp_path / "anchor.yaml"
    bad.write_text("a: &x [1]\nb: *x\n", encoding="utf-8")
    with pytest.raises(io.FileProblemError, match="anchors"):
        io.read_yaml(bad)
