"""Commands that look at a register and its inputs: gaps, graph, register show, validate,
schema, scenarios, registers."""

from __future__ import annotations

import datetime as dt
import json
import re
from enum import Enum
from typing import Annotated

import typer

from climaterisk.analysis import graph
from climaterisk.cli.common import (
    FormatOpt,
    Grammar,
    OutputOpt,
    RegisterOpt,
    TextFormat,
    _emit,
    app,
    check_output,
    handle_errors,
    one_register,
)
from climaterisk.errors import InputError, Problem
from climaterisk.outputs import render
from climaterisk.register import load_register, resolve_register_path, shipped_registers
from climaterisk.scenarios import available_scenarios, load_scenario, read_scenario


def _as_of_date(text: str | None) -> dt.date | None:
    """``--as-of``: a date YYYY-MM-DD, or a quarter label for its last day."""
    from climaterisk.history.review import quarter_end
    from climaterisk.history.store import QUARTER

    if text is None:
        return None
    if QUARTER.fullmatch(text):
        return quarter_end(text)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, re.ASCII):
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise InputError(Problem("", "", "--as-of", text, "a date YYYY-MM-DD or a quarter such as 2026Q4"))


@app.command("gaps")
@handle_errors
def gaps_cmd(
    register: RegisterOpt = None,
    scenario: Annotated[str | None, typer.Option(
        "--scenario", "-s", help="Also run the register under this scenario for the consistency rules "
        "that need a run (rating vs simulated ranking, losses past a risk's declared horizons).",
    )] = None,
    trials: Annotated[int | None, typer.Option(
        help="Simulated years per horizon with --scenario [default: 20000].", min=1, show_default=False,
    )] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Judge dates (tests, review dates, planned years) as of this day, YYYY-MM-DD, "
        "or the last day of this quarter, e.g. 2026Q4 (as climaterisk review does) [default: the "
        "register's as_of].", show_default=False)] = None,
    fmt: FormatOpt = TextFormat.table,
    output: OutputOpt = None,
) -> None:
    """List the register's gaps, with a reason per row.

    Rules: risk-site links with no control in force; disruption-risk sites known to hold no
    valid ISO 22301 certificate (sites with status unknown are not gaps; a lessor's certificate
    counts); controls not tested in the 12 months before the as-of date; controls linked to no
    risk; risks with no owner; planned controls past their year; disruption risks that no
    control maps to ISO 22301 clause 8; risks whose treatment decision is past its review date
    ("treatment decision past review date"). A finding resting on an input marked as an assumption
    says so: "(assumed date: <basis>)", and its JSON row has the basis in "assumed".

    Consistency rules follow: cross-industry metrics whose definitions take whole site kinds
    (29(b), 29(d) at 90% or more of asset value by construction); zeros ("none") recorded on an
    assumption where the source is silent; and with --scenario, ratings more than 2 places from
    the simulated ranking and losses reported past a risk's declared horizons.

    Example: climaterisk gaps --scenario rcp45 --format markdown
    """
    from climaterisk.analysis import consistency
    from climaterisk.outputs import disclosure_text

    check_output(output)
    day = _as_of_date(as_of)
    reg = load_register(register)
    found = graph.find_gaps(reg, day)
    result = None
    if scenario is not None:
        from climaterisk import assess
        from climaterisk.analysis.options import AssessOptions

        result = assess(reg, load_scenario(scenario), AssessOptions.of(
            trials=trials or 20_000, with_controls=False, with_coverage=False, with_line_items=False,
            workers=0))
    findings = consistency.find_inconsistencies(reg, result)
    if fmt is TextFormat.json:
        text = render.to_json({"register": reg.id, "as_of": reg.as_of.isoformat(),
                               "gaps": graph.gaps_as_dicts(found),
                               "consistency": [{**f.as_gap().__dict__, "items": list(f.items)}
                                               for f in findings],
                               "consistency_run": result.scenario.id if result else None})
    else:
        text = (render.gaps_text(found, reg, markdown=fmt is TextFormat.markdown) + "\n"
                + disclosure_text.findings_text(findings, fmt is TextFormat.markdown, result is not None))
    _emit(text, output)


class GraphFormat(str, Enum):
    dot = "dot"
    mermaid = "mermaid"
    graphml = "graphml"
    json = "json"


@app.command("graph")
@handle_errors
def graph_cmd(
    fmt: Annotated[GraphFormat, typer.Option("--format", "-f", help="Export format.")]
    = GraphFormat.dot,
    register: RegisterOpt = None,
    output: OutputOpt = None,
) -> None:
    """Export the register graph: sites, risks, opportunities, controls, ISO 22301 clauses.

    Example: climaterisk graph --format mermaid --out register.mmd
    """
    check_output(output)
    g = graph.build_graph(load_register(register))
    exporters = {GraphFormat.dot: graph.to_dot, GraphFormat.mermaid: graph.to_mermaid,
                 GraphFormat.graphml: graph.to_graphml, GraphFormat.json: graph.to_json}
    _emit(exporters[fmt](g), output)


register_app = typer.Typer(
    cls=Grammar,
    help="Look at a register.\n\nExample: climaterisk register show --register kuaishou-2023",
    no_args_is_help=True, rich_markup_mode=None,
)
app.add_typer(register_app, name="register")


@register_app.command("show")
@handle_errors
def register_show_cmd(
    register: RegisterOpt = None,
    fmt: FormatOpt = TextFormat.table,
    output: OutputOpt = None,
) -> None:
    """Print the register as the committee knows it: risks (category, impact, controls),
    sites and controls.

    Example: climaterisk register show --format markdown
    """
    check_output(output)
    reg = load_register(register)
    if fmt is TextFormat.json:
        g = graph.build_graph(reg)
        text = graph.to_json(g)
    else:
        text = render.register_text(reg, markdown=fmt is TextFormat.markdown)
    _emit(text, output)


@app.command("validate")
@handle_errors
def validate_cmd(
    register: RegisterOpt = None,
    path: Annotated[str | None, typer.Argument(
        help="Register folder (the older form of --register).", hidden=True,
    )] = None,
    scenario: Annotated[list[str] | None, typer.Option(
        "--scenario", "-s", help="Also check these scenario files or names.",
    )] = None,
) -> None:
    """Check a register (and optionally scenarios) and report every problem at once.

    Each problem names the file, the entry id, the field, the bad value and what was expected.
    Exit code 0 when valid, 2 otherwise.

    Example: climaterisk validate --register kuaishou-2023 --scenario rcp85
    """
    path = one_register(register, path)
    reg = load_register(path)
    for name in scenario or []:
        load_scenario(name)
    n_assumed = len(reg.assumptions)
    typer.echo(
        f"{resolve_register_path(path)}: valid register {reg.id} ({len(reg.sites)} sites, "
        f"{len(reg.risks)} risks, {len(reg.opportunities)} opportunities, {len(reg.controls)} "
        f"controls, {len(reg.metrics)} metrics, {len(reg.targets)} targets; "
        f"{len(reg.provenance)} sourced inputs, {n_assumed} of them assumptions)"
    )


class SchemaFormat(str, Enum):
    json = "json"
    markdown = "markdown"


@app.command("schema")
@handle_errors
def schema_cmd(
    fmt: Annotated[SchemaFormat, typer.Option("--format", "-f", help="json or markdown.")]
    = SchemaFormat.json,
) -> None:
    """Print the register format as a JSON Schema (or the Markdown field reference).

    Example: climaterisk schema > register.schema.json
    """
    from climaterisk.register import schema

    if fmt is SchemaFormat.json:
        typer.echo(json.dumps(schema.json_schema(), indent=2, ensure_ascii=False))
    else:
        typer.echo(schema.markdown_reference())


@app.command("scenarios")
@handle_errors
def scenarios_cmd(
    year: Annotated[list[int] | None, typer.Option(
        "--horizon", "--year", help="Years to show; repeat for several (default: 2023, 2030, 2040, "
        "2050).",
    )] = None,
    scenario: Annotated[list[str] | None, typer.Option(
        "--scenario", "-s", help="Only these scenarios (ids, aliases or paths).",
    )] = None,
) -> None:
    """List the scenarios with their drivers and hazard multipliers by year.

    Add a scenario by dropping a YAML file into scenarios/ or passing --scenario PATH.

    Example: climaterisk scenarios --horizon 2030 --horizon 2050
    """
    chosen = [load_scenario(s) for s in scenario] if scenario else [
        read_scenario(p) for p in available_scenarios()
    ]
    years = list(dict.fromkeys(year or [2023, 2030, 2040, 2050]))  # a year given twice is shown once
    typer.echo(render.scenarios_text(chosen, years), nl=False)


@app.command("registers")
@handle_errors
def registers_cmd() -> None:
    """List the registers shipped with the package (use one with --register NAME).

    Example: climaterisk registers
    """
    for name in shipped_registers():
        typer.echo(name)


