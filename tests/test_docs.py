"""The documentation stays in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main
import yaml

from climaterisk.cli import app
from climaterisk.register import schema

ROOT = Path(__file__).resolve().parent.parent


def test_register_format_reference_matches_the_validator():
    text = (ROOT / "docs" / "register-format.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- BEGIN GENERATED FIELD REFERENCE -->\n(.*)<!-- END GENERATED", text, re.S)
    assert match, "generated section markers missing"
    assert match.group(1).strip() == schema.markdown_reference().strip(), (
        "docs/register-format.md is stale: regenerate with `climaterisk schema --format markdown`"
    )


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in typer.main.get_command(app).commands:
        assert f"climaterisk {name}" in readme, name


def test_readme_quick_start_is_the_ci_script():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in ("python -m pip install . && climaterisk assess --scenario rcp45",
                    "python -m pip install '.[test]' && python -m pytest"):
        assert command in readme and command in ci


def _section(text: str, heading: str) -> str:
    """The body of the ``## `` section of a Markdown document whose heading, after its number if
    any, starts with ``heading``."""
    match = re.search(rf"^## (?:\d+\. )?{re.escape(heading)}[^\n]*\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"section {heading!r} missing"
    return match.group(1)


def test_methodology_states_the_engine_constants_where_it_uses_them():
    from climaterisk.model.draws import BLOCK_TRIALS
    from climaterisk.register.distributions import Z95

    text = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    # the z of the lognormal fit, on its own line of the formulas of section 4
    fit = _section(text, "Fitting a lognormal")
    z = re.search(r"^z\s*=\s*(\d+\.\d+)\s+standard-normal 95th percentile", fit, re.M)
    assert z, "section 4 no longer states z"
    assert z.group(1) == f"{Z95:.4f}"
    # the block size, where the engine section says how the engine draws
    engine = _section(text, "The engine")
    blocks = re.findall(r"samples only the events that happen, in \*\*blocks of ([\d,]+) trials\*\*", engine)
    assert len(blocks) == 1, "the engine section no longer states the block size"
    assert int(blocks[0].replace(",", "")) == BLOCK_TRIALS


def test_methodology_lognormal_example_is_the_fit_of_the_shipped_register():
    from climaterisk import load_register
    from climaterisk.register.distributions import LogNormal

    fit = _section((ROOT / "docs" / "methodology.md").read_text(encoding="utf-8"), "Fitting a lognormal")
    example = re.search(r"Example \((R\d+) damage, ([\d.]+)% to ([\d.]+)%\s+of replacement value\): "
                        r"median ([\d.]+)%, mean ([\d.]+)%, sigma ([\d.]+)\.", fit)
    assert example, "section 4 no longer gives the worked example"
    risk_id, p5, p95, median, mean, sigma = example.groups()
    raw = yaml.safe_load((load_register().path / "risks.yaml").read_text(encoding="utf-8"))
    risk = next(r for r in raw["risks"] if r["id"] == risk_id)
    damage = next(m for m in risk["models"] if m["type"] == "site_event")["damage"]
    assert (float(p5), float(p95)) == (round(100 * damage["p5"], 4), round(100 * damage["p95"], 4))
    dist = LogNormal.from_interval(damage["p5"], damage["p95"])
    assert median == f"{100 * dist.ppf(0.5):.3f}"
    assert mean == f"{100 * dist.mean():.3f}"
    assert sigma == f"{dist.sigma:.2f}"
