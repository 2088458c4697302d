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

from climaterisk import graph, render
from climaterisk.assess import DEFAULT_CHUNK, DEFAULT_SEED, DEFAULT_TRIALS, assess
from climaterisk.errors import ClimateRiskError, InputError, OutputError, Problem
from climaterisk.io import atomic_write, shipped_dir
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


ScenarioOpt = Annotated[str, typer.Option(
    "--scenario", "-s", help="Scenario id (rcp26, rcp45, rcp85), alias (SSP2-4.5) or YAML path.",
)]
HorizonOpt = Annotated[list[int] | None, typer.Option(
    "--horizon", help="Year to assess; repeat for several (default: medium and long term).",
)]
TrialsOpt = Annotated[int, typer.Option(help="Simulated years per horizon.", min=1)]
SeedOpt = Annotated[int, typer.Option(help="Random seed; the same seed gives the same numbers.")]
ChunkOpt = Annotated[int, typer.Option(
    help="Trials whose random draws are held at once (bounds that memory; results do not "
    "depend on it).", min=1,
)]
OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Write to this file (atomically) instead of standard output.",
)]


class TextFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    json = "json"


FormatOpt = Annotated[TextFormat, typer.Option("--format", "-f", help="Output format.")]


def _simulate(register, scenario, horizon, trials, seed, chunk_size, **extra):  # type: ignore[no-untyped-def]
    reg = load_register(register)
    sc = load_scenario(scenario)
    progress = Progress(f"simulating {sc.id}")
    try:
        return assess(reg, sc, horizon or None, trials, seed, chunk_size, progress=progress, **extra)
    finally:
        progress.close()


@app.command("assess")
@handle_errors
def assess_cmd(
    scenario: ScenarioOpt = "rcp45",
    register: RegisterOpt = None,
    horizon: HorizonOpt = None,
    trials: TrialsOpt = DEFAULT_TRIALS,
    seed: SeedOpt = DEFAULT_SEED,
    chunk_size: ChunkOpt = DEFAULT_CHUNK,
    fmt: Annotated[AssessFormat, typer.Option("--format", "-f", help="Output format.")]
    = AssessFormat.table,
    output: OutputOpt = None,
) -> None:
    """Simulate inherent and residual annual losses under a climate scenario.

    Prints a row per risk with inherent and residual expected annual loss (EAL) and 99% value
    at risk (VaR) for each horizon, in the register's currency per year.

    Example: climaterisk assess --scenario rcp85 --horizon 2030 --horizon 2050 --format json
    """
    json_out = fmt is AssessFormat.json
    result = _simulate(register, scenario, horizon, trials, seed, chunk_size,
                       with_controls=json_out, with_coverage=json_out)
    if json_out:
        text = render.to_json(result.to_dict())
    elif fmt is AssessFormat.csv:
        text = render.assessment_csv(result)
    else:
        text = render.assessment_text(result, markdown=fmt is AssessFormat.markdown)
    _emit(text, output)


@app.command("controls")
@handle_errors
def controls_cmd(
    scenario: ScenarioOpt = "rcp45",
    register: RegisterOpt = None,
    horizon: HorizonOpt = None,
    trials: TrialsOpt = DEFAULT_TRIALS,
    seed: SeedOpt = DEFAULT_SEED,
    chunk_size: ChunkOpt = DEFAULT_CHUNK,
    fmt: FormatOpt = TextFormat.table,
    output: OutputOpt = None,
) -> None:
    """What each control is worth: residual loss without it minus residual loss with all controls.

    Ranks controls by expected-annual-loss benefit and names single points of failure. The
    differences use common random numbers, so they are not drowned in sampling noise.

    Example: climaterisk controls --scenario rcp45 --horizon 2050
    """
    result = _simulate(register, scenario, horizon, trials, seed, chunk_size,
                       with_controls=True, with_coverage=False)
    if fmt is TextFormat.json:
        text = render.to_json({"scenario": result.scenario.id, "currency": result.register.currency,
                               "trials": result.trials, "seed": result.seed,
                               "controls": result.controls_dict(), "manifest": result.manifest})
    else:
        text = render.controls_text(result, markdown=fmt is TextFormat.markdown)
    _emit(text, output)


@app.command("coverage")
@handle_errors
def coverage_cmd(
    scenario: ScenarioOpt = "rcp45",
    register: RegisterOpt = None,
    horizon: HorizonOpt = None,
    trials: TrialsOpt = DEFAULT_TRIALS,
    seed: SeedOpt = DEFAULT_SEED,
    chunk_size: ChunkOpt = DEFAULT_CHUNK,
    fmt: FormatOpt = TextFormat.table,
    output: OutputOpt = None,
) -> None:
    """ISO 22301 coverage: certification by site kind, clause-8 evidence, simulated exposure.

    Example: climaterisk coverage --scenario rcp45 --horizon 2030 --horizon 2050
    """
    result = _simulate(register, scenario, horizon, trials, seed, chunk_size,
                       with_controls=False, with_coverage=True)
    if fmt is TextFormat.json:
        text = render.to_json({"scenario": result.scenario.id, "trials": result.trials,
                               "seed": result.seed, "iso22301": result.iso22301(),
                               "manifest": result.manifest})
    else:
        text = render.coverage_text(result, markdown=fmt is TextFormat.markdown)
    _emit(text, output)


class ReportFormat(str, Enum):
    markdown = "markdown"
    html = "html"
    latex = "latex"


CompareOpt = Annotated[str | None, typer.Option(
    "--compare", help="Scenarios to compare, comma-separated (default: every other shipped "
    "scenario; 'none' for none).",
)]


def _scenario_runs(scenario, compare, register, horizon, trials, seed, chunk_size):  # type: ignore[no-untyped-def]
    """The main assessment (with control values and coverage) and the compared ones."""
    main = _simulate(register, scenario, horizon, trials, seed, chunk_size)
    if compare is None:
        others = [p for p in available_scenarios() if read_scenario(p).id != main.scenario.id]
        names: list[str | Path] = list(others)
    elif compare.strip().lower() == "none":
        names = []
    else:
        names = [n.strip() for n in compare.split(",") if n.strip()]
    compared = [
        _simulate(register, n, horizon, trials, seed, chunk_size, with_controls=False,
                  with_coverage=False)
        for n in names
    ]
    return main, [c for c in compared if c.scenario.id != main.scenario.id]


@app.command("report")
@handle_errors
def report_cmd(
    scenario: ScenarioOpt = "rcp45",
    compare: CompareOpt = None,
    register: RegisterOpt = None,
    horizon: HorizonOpt = None,
    trials: TrialsOpt = DEFAULT_TRIALS,
    seed: SeedOpt = DEFAULT_SEED,
    chunk_size: ChunkOpt = DEFAULT_CHUNK,
    out: Annotated[Path, typer.Option("--out", help="Folder for the report and its figures.")]
    = Path("report"),
    store: StoreOpt = None,
    fmt: Annotated[list[ReportFormat] | None, typer.Option(
        "--format", "-f", help="markdown, html or latex; repeat for several (default: markdown "
        "and html).",
    )] = None,
) -> None:
    """Write the IFRS S2-structured climate report with its figures.

    Governance, strategy (risks and opportunities, financial effects, scenario analysis across
    rcp26, rcp45 and rcp85), risk management, metrics and targets, then the run manifest and the
    inputs marked as assumptions. The HTML report is one self-contained file.

    Example: climaterisk report --scenario rcp45 --compare rcp26,rcp85 --out report/
    """
    from climaterisk import figures, history, publish, report, review

    main, compared = _scenario_runs(scenario, compare, register, horizon, trials, seed, chunk_size)
    previous = None
    path = _store_path(store, main.register.path)
    if path.exists():
        with history.Store(path) as db:
            snaps = db.list(main.register.id)
        if snaps:
            last = snaps[-1]
            years = [h.year for h in main.horizons]
            previous = (f"{last.quarter} revision {last.revision}, {last.scenario_id}",
                        review.movements(last.results, main.to_dict(), years))
    folder = publish.ensure_folder(out)
    drawn = figures.write_all(folder / "figures", main, compared)
    formats = [f.value for f in (fmt or [ReportFormat.markdown, ReportFormat.html])]
    written = publish.write_report(report.build_report(main, compared, previous), folder, drawn, formats)
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(f"wrote {len(drawn) * 2} figures in {folder / 'figures'}")


class AppendixFormat(str, Enum):
    markdown = "markdown"
    latex = "latex"
    html = "html"
    csv = "csv"
    xlsx = "xlsx"


@app.command("appendix")
@handle_errors
def appendix_cmd(
    scenario: ScenarioOpt = "rcp45",
    compare: CompareOpt = None,
    register: RegisterOpt = None,
    horizon: HorizonOpt = None,
    trials: TrialsOpt = DEFAULT_TRIALS,
    seed: SeedOpt = DEFAULT_SEED,
    chunk_size: ChunkOpt = DEFAULT_CHUNK,
    fmt: Annotated[AppendixFormat, typer.Option("--format", "-f", help="Output format.")]
    = AppendixFormat.markdown,
    out: Annotated[Path, typer.Option("--out", help="Folder for the appendix files.")]
    = Path("appendix"),
) -> None:
    """Write the appendix tables: risk register, controls, site exposure, scenario analysis,
    ISO 22301 coverage, metrics and targets, inputs and sources.

    LaTeX gives one booktabs table per file, ready to \\input; Excel one sheet per table; CSV one
    file per table.

    Example: climaterisk appendix --scenario rcp45 --format xlsx --out appendix/
    """
    from climaterisk import publish, report

    main, compared = _scenario_runs(scenario, compare, register, horizon, trials, seed, chunk_size)
    folder = publish.ensure_folder(out)
    for path in publish.write_appendix(report.appendix_tables(main, compared), folder, fmt.value):
        typer.echo(f"wrote {path}")


StoreOpt = Annotated[Path | None, typer.Option(
    "--store", help="History database (default: .climaterisk/history.sqlite beside the register "
    "folder; for a shipped register, in the current folder).",
)]


def _store_path(store: Path | None, register_path: Path) -> Path:
    if store is not None:
        return store
    shipped = shipped_dir("registers").resolve()
    folder = register_path.resolve()
    base = Path.cwd() if shipped in folder.parents else folder.parent
    return base / ".climaterisk" / "history.sqlite"


@app.command("snapshot")
@handle_errors
def snapshot_cmd(
    quarter: Annotated[str, typer.Option("--quarter", "-q", help="Quarter, e.g. 2026Q3.")],
    scenario: ScenarioOpt = "rcp45",
    register: RegisterOpt = None,
    horizon: HorizonOpt = None,
    trials: TrialsOpt = DEFAULT_TRIALS,
    seed: SeedOpt = DEFAULT_SEED,
    chunk_size: ChunkOpt = DEFAULT_CHUNK,
    store: StoreOpt = None,
) -> None:
    """Record the register, scenario, results and manifest of a quarter in the history store.

    A second snapshot of the same quarter becomes a new revision; nothing is overwritten.

    Example: climaterisk snapshot --quarter 2026Q3 --scenario rcp45
    """
    from climaterisk import history

    history.check_quarter(quarter)
    result = _simulate(register, scenario, horizon, trials, seed, chunk_size)
    path = _store_path(store, result.register.path)
    with history.Store(path) as db:
        snap = db.add(quarter, result.register, result.scenario, result.to_dict())
    typer.echo(f"recorded {snap.quarter} revision {snap.revision} of register {snap.register_id} "
               f"({snap.scenario_id}) in {path}")


@app.command("history")
@handle_errors
def history_cmd(
    register: RegisterOpt = None,
    store: StoreOpt = None,
    fmt: FormatOpt = TextFormat.table,
) -> None:
    """List the snapshots in the history store.

    Example: climaterisk history --store .climaterisk/history.sqlite
    """
    from climaterisk import history

    reg_path = resolve_register_path(register)
    path = _store_path(store, reg_path)
    if not path.exists():
        raise InputError(Problem(str(path), "", "", None, "a history store: record a snapshot first"))
    with history.Store(path) as db:
        snaps = db.list()
    if fmt is TextFormat.json:
        typer.echo(render.to_json({"store": str(path), "snapshots": [
            {k: getattr(s, k) for k in ("quarter", "revision", "created_utc", "register_id",
                                        "register_sha256", "scenario_id", "headline_year",
                                        "residual_eal", "residual_var99")} for s in snaps]}), nl=False)
    else:
        typer.echo(render.history_text(snaps, markdown=fmt is TextFormat.markdown), nl=False)


@app.command("review")
@handle_errors
def review_cmd(
    quarter: Annotated[str | None, typer.Option("--quarter", "-q", help="Quarter to review.")] = None,
    against: Annotated[str | None, typer.Option(
        "--against", help="Quarter to compare with (default: the latest earlier snapshot).")] = None,
    against_register: Annotated[Path | None, typer.Option(
        "--against-register", help="Compare --register with this register folder directly, "
        "without a store.")] = None,
    register: RegisterOpt = None,
    scenario: ScenarioOpt = "rcp45",
    horizon: HorizonOpt = None,
    trials: TrialsOpt = DEFAULT_TRIALS,
    seed: SeedOpt = DEFAULT_SEED,
    store: StoreOpt = None,
    fmt: FormatOpt = TextFormat.table,
    output: OutputOpt = None,
) -> None:
    """The committee's quarterly pack: register changes, movement of residual loss, and why.

    The movement of total residual EAL is split into register changes, scenario changes and
    sampling noise, which add up to it.

    Example: climaterisk review --quarter 2026Q4 --against 2026Q3
    """
    from climaterisk import history, review

    if against_register is not None:
        current = load_register(register)
        earlier = load_register(against_register)
        pack = review.review_registers(current, earlier, load_scenario(scenario), horizon or None,
                                       trials, seed)
        currency = current.currency
    else:
        if quarter is None:
            raise InputError(Problem("", "", "--quarter", None,
                                     "the quarter to review (or --against-register PATH)"))
        history.check_quarter(quarter)
        reg_path = resolve_register_path(register)
        path = _store_path(store, reg_path)
        if not path.exists():
            raise InputError(Problem(str(path), "", "", None, "a history store: record a snapshot first"))
        with history.Store(path) as db:
            reg_id = load_register(register).id
            current_snap = db.latest(reg_id, quarter)
            if current_snap is None:
                raise InputError(Problem(str(path), reg_id, "--quarter", quarter,
                                         "a quarter with a snapshot (see climaterisk history)"))
            if against:
                history.check_quarter(against)
                earlier_snap = db.latest(reg_id, against)
            else:
                earlier_snap = db.before(reg_id, quarter)
            if earlier_snap is None:
                raise InputError(Problem(str(path), reg_id, "--against", against,
                                         "an earlier quarter with a snapshot (see climaterisk history)"))
        pack = review.review_snapshots(current_snap, earlier_snap)
        currency = current_snap.results["currency"]
    if fmt is TextFormat.json:
        text = render.to_json(pack)
    else:
        text = render.review_text(pack, currency, markdown=fmt is TextFormat.markdown)
    _emit(text, output)


@app.command("gaps")
@handle_errors
def gaps_cmd(
    register: RegisterOpt = None,
    fmt: FormatOpt = TextFormat.table,
    output: OutputOpt = None,
) -> None:
    """List the register's gaps, with a reason per row.

    Rules: risk-site links with no control in force; acute-risk sites without a valid ISO 22301
    certificate; controls not tested in the 12 months before the as-of date; controls linked to
    no risk; risks with no owner; planned controls past their year; risks that no control maps
    to ISO 22301 clause 8.

    Example: climaterisk gaps --format markdown
    """
    reg = load_register(register)
    found = graph.find_gaps(reg)
    if fmt is TextFormat.json:
        text = render.to_json({"register": reg.id, "as_of": reg.as_of.isoformat(),
                               "gaps": graph.gaps_as_dicts(found)})
    else:
        text = render.gaps_text(found, reg, markdown=fmt is TextFormat.markdown)
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

    Example: climaterisk graph --format mermaid --output register.mmd
    """
    g = graph.build_graph(load_register(register))
    exporters = {GraphFormat.dot: graph.to_dot, GraphFormat.mermaid: graph.to_mermaid,
                 GraphFormat.graphml: graph.to_graphml, GraphFormat.json: graph.to_json}
    _emit(exporters[fmt](g), output)


register_app = typer.Typer(
    help="Look at a register.\n\nExample: climaterisk register show --register registers/kuaishou-2023",
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
