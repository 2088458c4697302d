"""The ``climaterisk`` command: parse options, call the library, render, map errors to exit codes.

Exit codes: 0 success; 2 bad input (register, scenario, option), with one line per problem;
1 an output could not be written.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from climaterisk import render
from climaterisk.assess import DEFAULT_CHUNK, DEFAULT_SEED, DEFAULT_TRIALS, assess
from climaterisk.errors import ClimateRiskError, InputError, OutputError
from climaterisk.io import atomic_write
from climaterisk.register import load_register, resolve_register_path, shipped_registers
from climaterisk.scenarios import available_scenarios, load_scenario, read_scenario

app = typer.Typer(
    help="Climate risk register, Monte Carlo scenario analysis and IFRS S2 reporting.\n\n"
    "Example: climaterisk assess --scenario rcp45",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable)


def _fail(code: int, lines: list[str]) -> None:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def handle_errors(func: F) -> F:
    """Turn the library's errors into messages on stderr and exit codes."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            _fail(2, [*render.problems_text(exc.problems).splitlines(),
                      f"{len(exc.problems)} problem(s); nothing was written."])
        except OutputError as exc:
            _fail(1, [f"error: {exc}"])
        except ClimateRiskError as exc:
            _fail(2, [f"error: {exc}"])
        except KeyboardInterrupt:
            _fail(130, ["interrupted; nothing was written."])

    return wrapper  # type: ignore[return-value]


class Progress:
    """A progress line on stderr, shown only on a terminal and only after a second and a half."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.start = time.monotonic()
        self.shown = False
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.start < 1.5:
            return
        self.shown = True
        sys.stderr.write(f"\r{self.label}: {done / total:4.0%} ({done:,} of {total:,} trials)")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
    else:
        atomic_write(output, text)
        typer.echo(f"wrote {output}", err=True)


class AssessFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


RegisterOpt = Annotated[
    str | None,
    typer.Option("--register", "-r", help="Register folder, or the name of a shipped register "
                 "(default: kuaishou-2023)."),
]


@app.command("assess")
@handle_errors
def assess_cmd(
    scenario: Annotated[str, typer.Option(
        "--scenario", "-s", help="Scenario id (rcp26, rcp45, rcp85), alias (SSP2-4.5) or YAML path.",
    )] = "rcp45",
    register: RegisterOpt = None,
    horizon: Annotated[list[int] | None, typer.Option(
        "--horizon", help="Year to assess; repeat for several (default: medium and long term).",
    )] = None,
    trials: Annotated[int, typer.Option(help="Simulated years per horizon.", min=1)] = DEFAULT_TRIALS,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same numbers.")]
    = DEFAULT_SEED,
    chunk_size: Annotated[int, typer.Option(
        help="Trials simulated at once (bounds memory; results do not depend on it).", min=1,
    )] = DEFAULT_CHUNK,
    fmt: Annotated[AssessFormat, typer.Option("--format", "-f", help="Output format.")]
    = AssessFormat.table,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file (atomically) instead of standard output.",
    )] = None,
) -> None:
    """Simulate inherent and residual annual losses under a climate scenario.

    Prints a row per risk with inherent and residual expected annual loss (EAL) and 99% value
    at risk (VaR) for each horizon, in the register's currency per year.

    Example: climaterisk assess --scenario rcp85 --horizon 2030 --horizon 2050 --format json
    """
    reg = load_register(register)
    sc = load_scenario(scenario)
    progress = Progress(f"simulating {sc.id}")
    try:
        result = assess(reg, sc, horizon or None, trials, seed, chunk_size, progress=progress)
    finally:
        progress.close()
    if fmt is AssessFormat.json:
        text = render.to_json(result.to_dict())
    elif fmt is AssessFormat.csv:
        text = render.assessment_csv(result)
    else:
        text = render.assessment_text(result, markdown=fmt is AssessFormat.markdown)
    _emit(text, output)


@app.command("validate")
@handle_errors
def validate_cmd(
    path: Annotated[str | None, typer.Argument(
        help="Register folder (default: the shipped kuaishou-2023 register).",
    )] = None,
    scenario: Annotated[list[str] | None, typer.Option(
        "--scenario", "-s", help="Also check these scenario files or names.",
    )] = None,
) -> None:
    """Check a register (and optionally scenarios) and report every problem at once.

    Each problem names the file, the entry id, the field, the bad value and what was expected.
    Exit code 0 when valid, 2 otherwise.

    Example: climaterisk validate registers/kuaishou-2023
    """
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
    from climaterisk import schema

    if fmt is SchemaFormat.json:
        typer.echo(json.dumps(schema.json_schema(), indent=2, ensure_ascii=False))
    else:
        typer.echo(schema.markdown_reference())


@app.command("scenarios")
@handle_errors
def scenarios_cmd(
    year: Annotated[list[int] | None, typer.Option(
        "--year", help="Years to show (default: 2023, 2030, 2040, 2050).",
    )] = None,
    scenario: Annotated[list[str] | None, typer.Option(
        "--scenario", "-s", help="Only these scenarios (ids, aliases or paths).",
    )] = None,
) -> None:
    """List the scenarios with their drivers and hazard multipliers by year.

    Add a scenario by dropping a YAML file into scenarios/ or passing --scenario PATH.

    Example: climaterisk scenarios --year 2030 --year 2050
    """
    chosen = [load_scenario(s) for s in scenario] if scenario else [
        read_scenario(p) for p in available_scenarios()
    ]
    typer.echo(render.scenarios_text(chosen, year or [2023, 2030, 2040, 2050]), nl=False)


@app.command("registers")
@handle_errors
def registers_cmd() -> None:
    """List the registers shipped with the package (use one with --register NAME).

    Example: climaterisk registers
    """
    for name in shipped_registers():
        typer.echo(name)


def version_callback(value: bool) -> None:
    if value:
        from climaterisk import __version__

        typer.echo(f"climaterisk {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option(
        "--version", callback=version_callback, is_eager=True, help="Show the version and exit.",
    )] = False,
) -> None:
    """Climate risk register, Monte Carlo scenario analysis and IFRS S2 reporting.

    Example: climaterisk assess --scenario rcp45
    """


def main() -> None:
    """Entry point of the ``climaterisk`` console script."""
    app()
