"""The documentation stays in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

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


def test_methodology_exists_and_names_the_engine_constants():
    from climaterisk.model.draws import BLOCK_TRIALS

    text = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    assert f"{BLOCK_TRIALS:,}" in text or str(BLOCK_TRIALS) in text
    assert "1.6449" in text
