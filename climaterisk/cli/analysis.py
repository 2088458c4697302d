"""Commands that simulate: assess, controls, coverage, report, appendix, sensitivity."""

from __future__ import annotations

import math
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from climaterisk.analysis.uncertainty import assess_uncertainty
from climaterisk.cli.common import (
    AssessFormat,
    ChunkOpt,
    FormatOpt,
    HorizonOpt,
    OutputOpt,
    RegisterOpt,
    ScenarioOpt,
    ScenarioProgress,
    SeedOpt,
    StoreOpt,
    TextFormat,
    TrialsOpt,
    WorkersOpt,
    _emit,
    _simulate,
    _store_path,
    app,
    check_folder,
    check_output,
    handle_errors,
    run_options,
)
from climaterisk.errors import OptionError, Problem
from climaterisk.io import OutputSet
from climaterisk.outputs import render
from climaterisk.register import load_register


@app.command("assess")
@handle_errors
def assess_cmd(
    scenario: ScenarioOpt = "rcp45",
    register: RegisterOpt = None,
    horizon: HorizonOpt = None,
    trials: TrialsOpt = None,
    seed: SeedOpt = None,
    chunk_size: ChunkOpt = None,
    fmt: Annotated[AssessFormat, typer.Option("--format", "-f", help="Output format.")]
    = AssessFormat.table,
    workers: WorkersOpt = 0,
    method: Annotated[str, typer.Option(
        help="mc: Monte Carlo; fft: exact distributions by FFT (no sampling noise; no control "
        "values or coverage in JSON); auto: fft when those are not needed.",
    )] = "mc",
    engine: Annotated[str, typer.Option(
        help="local, or dask to run the trial blocks on a Dask cluster (pip install "
        "'climaterisk[dask]'); the numbers are the same.",
    )] = "local",
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster).",
    )] = None,
    output: OutputOpt = None,
    uncertainty: Annotated[int | None, typer.Option(
        help="Also run this many worlds of what we don't know (e.g. 200): each draws the "
        "register's epistemic inputs and the scenario's ranges once, then simulates "
        "--world-trials years; gives every measure's range over the worlds. Table, Markdown "
        "and JSON only.",
    )] = None,
    world_trials: Annotated[int | None, typer.Option(
        help="Simulated years per world with --uncertainty (default 10,000).",
    )] = None,
) -> None:
    """Simulate inherent and residual annual losses under a climate scenario.

    Prints a row per risk with inherent and residual expected annual loss (EAL) and 99% value
    at risk (VaR) for each horizon, in the register's currency per year. Inputs declared
    epistemic (one unknown value for every year) are held at their mean; --uncertainty N
    also gives the range of each measure over N draws of them.

    Example: climaterisk assess --scenario rcp85 --horizon 2030 --horizon 2050 --format json

    Example: climaterisk assess --scenario rcp45 --uncertainty 200
    """
    check_output(output)
    if uncertainty is not None and fmt is AssessFormat.csv:
        raise OptionError([Problem("", "", "--format", "csv",
                                   "table, markdown or json with --uncertainty (the ranges are "
                                   "in the JSON's `uncertainty`)")])
    if world_trials is not None and uncertainty is None:
        raise OptionError([Problem("", "", "--world-trials", world_trials,
                                   "--world-trials only with --uncertainty N")])
    spread = None
    if uncertainty is not None:
        spread = assess_uncertainty(
            load_register(register), scenario, worlds=uncertainty, trials=world_trials, seed=seed,
            horizons=horizon, workers=workers, chunk_trials=chunk_size, method=method, engine=engine)
    json_out = fmt is AssessFormat.json
    # control values and the simulated coverage appear in the JSON only; None: where computable
    extras = None if json_out else False
    result = _simulate(register, scenario, run_options(
        horizon, trials, seed, chunk_size, with_controls=extras, with_coverage=extras,
        with_line_items=extras, workers=workers, method=method, engine=engine, scheduler=scheduler))
    if json_out:
        data = result.to_dict()
        if spread is not None:
            data["uncertainty"] = spread.to_dict()
        text = render.to_json(data)
    elif fmt is AssessFormat.csv:
        text = render.assessment_csv(result)
    else:
        text = render.assessment_text(result, markdown=fmt is AssessFormat.markdown)
        if spread is not None:
            text += "\n" + render.uncertainty_text(spread, markdown=fmt is AssessFormat.markdown)
    _emit(text, output)


@app.command("controls")
@handle_errors
def controls_cmd(
    scenario: ScenarioOpt = "rcp45",
    register: RegisterOpt = None,
    horizon: HorizonOpt = None,
    trials: TrialsOpt = None,
    seed: SeedOpt = None,
    chunk_size: ChunkOpt = None,
    fmt: FormatOpt = TextFormat.table,
    output: OutputOpt = None,
) -> None:
    """What each control is worth: residual loss without it minus residual loss with all controls.

    Ranks controls by expected-annual-loss benefit and names single points of failure. The
    differences use common random numbers, so they are not drowned in sampling noise.

    Example: climaterisk controls --scenario rcp45 --horizon 2050
    """
    check_output(output)
    result = _simulate(register, scenario, run_options(horizon, trials, seed, chunk_size,
                                                       with_controls=True, with_coverage=False,
                                                       with_line_items=False))
    if fmt is TextFormat.json:
        text = render.to_json(result.controls_payload())
    else:
        text = render.controls_text(result, markdown=fmt is TextFormat.markdown)
    _emit(text, output)


@app.command("coverage")
@handle_errors
def coverage_cmd(
    scenario: ScenarioOpt = "rcp45",
    register: RegisterOpt = None,
    horizon: HorizonOpt = None,
    trials: TrialsOpt = None,
    seed: SeedOpt = None,
    chunk_size: ChunkOpt = None,
    fmt: FormatOpt = TextFormat.table,
    output: OutputOpt = None,
) -> None:
    """ISO 22301 coverage: certification by site kind, clause-8 evidence, simulated exposure.

    Example: climaterisk coverage --scenario rcp45 --horizon 2030 --horizon 2050
    """
    check_output(output)
    result = _simulate(register, scenario, run_options(horizon, trials, seed, chunk_size,
                                                       with_controls=False, with_coverage=True,
                                                       with_line_items=False))
    if fmt is TextFormat.json:
        text = render.to_json(result.coverage_payload())
    else:
        text = render.coverage_text(result, markdown=fmt is TextFormat.markdown)
    _emit(text, output)


class ReportFormat(str, Enum):
    markdown = "markdown"
    html = "html"
    latex = "latex"


CompareOpt = Annotated[list[str] | None, typer.Option(
    "--compare", help="Scenarios to compare; repeat or separate with commas (default: every "
    "other shipped scenario; 'none' for none).",
)]


def _scenario_runs(scenario, compare, register, horizon, trials, seed, chunk_size):  # type: ignore[no-untyped-def]
    """The main assessment (with control values and coverage) and the compared ones."""
    from climaterisk.analysis.compare import assess_with_comparisons

    progress = ScenarioProgress()
    try:
        return assess_with_comparisons(load_register(register), scenario, compare,
                                       run_options(horizon, trials, seed, chunk_size), progress)
    finally:
        progress.close()


@app.command("report")
@handle_errors
def report_cmd(
    scenario: ScenarioOpt = "rcp45",
    compare: CompareOpt = None,
    register: RegisterOpt = None,
    horizon: HorizonOpt = None,
    trials: TrialsOpt = None,
    seed: SeedOpt = None,
    chunk_size: ChunkOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", "--output", help="Folder for the report and its "
                                      "figures.")] = Path("report"),
    store: StoreOpt = None,
    fmt: Annotated[list[ReportFormat] | None, typer.Option(
        "--format", "-f", help="markdown, html or latex; repeat for several (default: markdown "
        "and html).",
    )] = None,
    uncertainty_worlds: Annotated[int, typer.Option(
        help="Worlds of what we don't know for the report's ranges (0: no ranges; the one-at-a-"
        "time sweep of the significant areas of uncertainty still runs).")] = 50,
    sweep_trials: Annotated[int, typer.Option(
        help="Simulated years per run of the sweep (long-term horizon only) and per world (every "
        "horizon).")] = 5000,
    growth: Annotated[float, typer.Option(
        help="Growth of the business [% a year] for the financial effects (0: held at its base-year "
        "size).")] = 0.0,
    inflation: Annotated[float, typer.Option(
        help="Inflation [% a year] for the financial effects (0: constant prices of the base year).")] = 0.0,
    discount_rate: Annotated[float, typer.Option(
        help="Discount rate [% a year] of the financial effects' present values (0: undiscounted).")] = 0.0,
) -> None:
    """Write the IFRS S2-structured climate report with its figures.

    Governance, strategy (risks and opportunities, financial effects, scenario analysis across
    rcp26, rcp45 and rcp85), risk management, metrics and targets, then the run manifest and the
    inputs marked as assumptions. The HTML report is one self-contained file.

    Example: climaterisk report --scenario rcp45 --compare rcp26,rcp85 --out report/
    """
    check_folder(out)
    from climaterisk.analysis.assess import report_horizons
    from climaterisk.analysis.financial_effects import Prices, next_year_run
    from climaterisk.history import review
    from climaterisk.history import store as history
    from climaterisk.history.targets import snapshot_targets
    from climaterisk.outputs import figures, publish, report

    rates = {"--growth": growth, "--inflation": inflation, "--discount-rate": discount_rate}
    bad = [Problem("", "", name, value, "a rate in % a year above -100 (e.g. 3 for 3%)")
           for name, value in rates.items() if not (math.isfinite(value) and value > -100)]
    if bad:
        raise OptionError(bad)
    prices = Prices(growth / 100.0, inflation / 100.0, discount_rate / 100.0)
    horizon = horizon or report_horizons(load_register(register))  # short term included
    main, compared = _scenario_runs(scenario, compare, register, horizon, trials, seed, chunk_size)
    previous = previous_targets = None
    path = _store_path(store, main.register.path)
    last = history.last_snapshot(path, main.register)  # this register only: same id, same folder
    if last is not None:
        years = [h.year for h in main.horizons]
        previous = (f"{last.quarter} revision {last.revision}, {last.scenario_id}",
                    review.movements(last.results, main.to_dict(), years))
        previous_targets = (f"{last.quarter} revision {last.revision}",
                            snapshot_targets(last.register_files))
    formats = [f.value for f in (fmt or [ReportFormat.markdown, ReportFormat.html])]
    from climaterisk.analysis.sensitivity import sensitivity

    long_term = [main.horizons[-1].year]
    sweep = sensitivity(main.register, main.scenario, trials=sweep_trials, seed=seed, horizons=long_term)
    spread = (assess_uncertainty(main.register, main.scenario, worlds=uncertainty_worlds, trials=sweep_trials,
                                 seed=seed, horizons=[h.year for h in main.horizons])
              if uncertainty_worlds else None)
    document = report.build_report(main, compared, previous, previous_targets, (sweep, spread), prices,
                                   next_year_run(main))
    with OutputSet(out) as files:  # the report and its figures are moved in together
        drawn = figures.write_all(files, main, compared, "figures")
        written = publish.write_report(document, files, drawn, formats)
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(f"wrote {sum(len(f) for f in drawn.values())} figure files in {out / 'figures'}")


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
    trials: TrialsOpt = None,
    seed: SeedOpt = None,
    chunk_size: ChunkOpt = None,
    fmt: Annotated[list[AppendixFormat] | None, typer.Option(
        "--format", "-f", help="markdown, latex, html, csv or xlsx; repeat for several (default: "
        "markdown).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", "--output", help="Folder for the appendix files.")]
    = Path("appendix"),
) -> None:
    """Write the appendix tables: risk register, controls, site exposure, scenario analysis,
    ISO 22301 coverage, metrics and targets, inputs and sources.

    LaTeX gives one booktabs table per file, ready to \\input; Excel one sheet per table; CSV one
    file per table.

    Example: climaterisk appendix --scenario rcp45 --format xlsx --out appendix/
    """
    check_folder(out)
    from climaterisk.outputs import publish, report

    main, compared = _scenario_runs(scenario, compare, register, horizon, trials, seed, chunk_size)
    tables = report.appendix_tables(main, compared)
    formats = list(dict.fromkeys(f.value for f in (fmt or [AppendixFormat.markdown])))
    with OutputSet(out) as files:  # every format's files are moved in together
        written = [path for f in formats for path in publish.write_appendix(tables, files, f)]
    for path in written:
        typer.echo(f"wrote {path}")


@app.command("sensitivity")
@handle_errors
def sensitivity_cmd(
    scenario: ScenarioOpt = "rcp45",
    register: RegisterOpt = None,
    horizon: HorizonOpt = None,
    trials: Annotated[int | None, typer.Option(
        help="Simulated years per horizon and run; each input runs twice [default: 20000].",
        show_default=False)] = None,
    seed: SeedOpt = None,
    swing: Annotated[float, typer.Option(
        help="Swing of point values and intervals [%]: each is run at -X% and +X% (0 < X < 100); "
        "ranges are run at their own ends, epistemic inputs at their 5th and 95th percentiles.")] = 20.0,
    top: Annotated[int | None, typer.Option(
        help="Inputs shown per horizon, by |EAL swing| [default: 20 in the table, Markdown and "
        "figure; all in JSON and CSV].", show_default=False)] = None,
    fmt: Annotated[AssessFormat, typer.Option("--format", "-f", help="Output format.")]
    = AssessFormat.table,
    figure: Annotated[Path | None, typer.Option(
        "--figure", help="Also draw the tornado figure (tornado.png, tornado.svg) in this folder.",
    )] = None,
    workers: WorkersOpt = 0,
    chunk_size: ChunkOpt = None,
    output: OutputOpt = None,
    sobol: Annotated[int, typer.Option(
        help="Also give first-order and total Sobol indices (SALib) of this many top inputs, "
        "varied together (0: none; e.g. 10).")] = 0,
    sobol_samples: Annotated[int, typer.Option(
        help="Saltelli base sample size N, a power of two; N x (inputs + 2) points.")] = 256,
    sobol_trials: Annotated[int, typer.Option(
        help="Simulated years per Sobol design point.")] = 2000,
) -> None:
    """One-at-a-time sensitivity: how far each numeric register input moves the total residual
    EAL and VaR 99%, per horizon, ranked (a tornado).

    Every number the register records (its provenance rows) that the loss model uses is swung
    between a low and a high value on the same seed and trials as the base run (paired draws),
    with the standard error of each swing.

    Inputs declared epistemic and the scenario's ranges swing between their 5th and 95th
    percentiles.

    Example: climaterisk sensitivity --scenario rcp45 --top 15 --figure figures/

    Example: climaterisk sensitivity --scenario rcp45 --horizon 2050 --sobol 10
    """
    from climaterisk.analysis.sensitivity import SENSITIVITY_TRIALS, sensitivity
    from climaterisk.cli.common import Progress
    from climaterisk.errors import OptionError, Problem
    from climaterisk.outputs import tornado
    from climaterisk.scenarios import load_scenario

    problems = []
    if not 0 < swing < 100:
        problems.append(Problem("", "", "--swing", swing, "a percentage > 0 and < 100 (20: +-20%)"))
    if top is not None and top < 1:
        problems.append(Problem("", "", "--top", top, "a number of inputs >= 1"))
    if trials is not None and trials < 2:
        problems.append(Problem("", "", "--trials", trials, "a number of trials >= 2"))
    if problems:
        raise OptionError(problems)
    check_output(output)
    if figure is not None:
        check_folder(figure, "--figure")
    sc = load_scenario(scenario)
    bar = Progress(f"sweeping {sc.id}")
    per_run = trials or SENSITIVITY_TRIALS
    try:
        result = sensitivity(load_register(register), sc, run_options(horizon, trials, seed, chunk_size,
                                                                      workers=workers),
                             swing=swing / 100.0, progress=lambda d, t: bar(d * per_run, t * per_run),
                             sobol=sobol, sobol_samples=sobol_samples, sobol_trials=sobol_trials)
    finally:
        bar.close()
    if fmt is AssessFormat.json:
        text = tornado.sensitivity_json(result, top)
    elif fmt is AssessFormat.csv:
        text = tornado.sensitivity_csv(result, top)
    else:
        text = tornado.sensitivity_text(result, top or tornado.TABLE_TOP,
                                        markdown=fmt is AssessFormat.markdown)
    if figure is not None:
        from climaterisk.outputs import figures

        drawn = figures.write_tornado(figure, result, top or tornado.TABLE_TOP)
        typer.echo(f"wrote {drawn['png']} and {drawn['svg']}", err=True)
    _emit(text, output)


@app.command("ghg")
@handle_errors
def ghg_cmd(
    register: RegisterOpt = None,
    scenario: Annotated[list[str] | None, typer.Option(
        "--scenario", "-s", help="Also project scope 1 and 2 to the register's horizon years under this "
        "scenario (id, alias or YAML path); repeat for several.")] = None,
    fmt: FormatOpt = TextFormat.table,
    output: OutputOpt = None,
) -> None:
    """GHG accounting from the register's activity data (ghg.yaml): scope 1, scope 2 location-based
    and market-based, derived vs reported, emission factors with sources, scope 2 with the MEE grid
    factors, renewable share, intensities per employee and the scope 3 screening; with --scenario,
    the emission pathway (growth, grid factor path, levers) per horizon year.

    Example: climaterisk ghg --register kuaishou-2023 --scenario rcp45 --format markdown
    """
    from climaterisk.analysis import ghg
    from climaterisk.analysis.pathways import pathways
    from climaterisk.outputs.report.metrics import ghg_blocks, pathway_blocks
    from climaterisk.scenarios import load_scenario

    check_output(output)
    reg = load_register(register)
    path = pathways(reg, [load_scenario(s) for s in scenario]) if scenario else None
    if fmt is TextFormat.json:
        data = {"register": reg.id, "ghg": ghg.as_mapping(ghg.account(reg))}
        if scenario:
            data["pathways"] = path.to_dict() if path is not None else None
        text = render.to_json(data)
    else:
        text = render.terminal_blocks([*ghg_blocks(reg), *pathway_blocks(path)],
                                  markdown=fmt is TextFormat.markdown)
    _emit(text, output)


CHECK_TRIALS = 20_000
"""Simulated years per horizon of `climaterisk disclosures --check` unless --trials says otherwise."""


@app.command("disclosures")
@handle_errors
def disclosures_cmd(
    check: Annotated[bool, typer.Option(
        "--check", help="Run the scenarios and give each item its status (met, partly met, gap, "
        "contradicted) with the reason; exit status 0 whatever the statuses.")] = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="With --check (implied): exit with status 1 when any item is a gap or "
        "contradicted.")] = False,
    scenario: ScenarioOpt = "rcp45",
    compare: CompareOpt = None,
    register: RegisterOpt = None,
    horizon: HorizonOpt = None,
    trials: Annotated[int | None, typer.Option(
        help=f"Simulated years per horizon for --check [default: {CHECK_TRIALS}].", min=1,
        show_default=False)] = None,
    seed: SeedOpt = None,
    store: StoreOpt = None,
    fmt: FormatOpt = TextFormat.table,
    output: OutputOpt = None,
) -> None:
    """The disclosure index: each IFRS S2 paragraph and HKEX Appendix C2 Part D item, where the
    report answers it and how (computed, register text, omitted with explanation, relief used).

    With --check, the register is run under the scenario and the compared ones (20,000 trials a
    horizon by default; the report's years, short, medium and long term, unless --horizon says
    otherwise; with line items and the year after the base year, as `report` runs them, so the
    statuses are the report's) and each item gets a status with its reason: met, partly met, gap or
    contradicted (a consistency rule disagrees, see `climaterisk gaps --scenario`). --strict fails
    on gaps and contradictions.

    Example: climaterisk disclosures --check --strict --format markdown
    """
    from climaterisk.analysis import consistency, disclosure_index
    from climaterisk.analysis.assess import report_horizons
    from climaterisk.analysis.compare import assess_with_comparisons
    from climaterisk.analysis.financial_effects import next_year_run
    from climaterisk.outputs import disclosure_text

    check_output(output)
    if not (check or strict):
        _emit(disclosure_text.index_text(disclosure_index.index_rows(), fmt.value), output)
        return
    reg = load_register(register)
    progress = ScenarioProgress()
    try:
        main, compared = assess_with_comparisons(
            reg, scenario, compare, run_options(horizon or report_horizons(reg), trials or CHECK_TRIALS,
                                                seed, with_controls=False, with_coverage=False,
                                                with_line_items=True), progress)
        next_year = next_year_run(main)
    finally:
        progress.close()
    path = _store_path(store, reg.path)
    has_history = False
    if path.exists():
        from climaterisk.history import store as history

        with history.Store(path) as db:
            has_history = bool(db.list(reg.id))
    findings = consistency.find_inconsistencies(reg, main)
    statuses = disclosure_index.check_index(
        disclosure_index.Context(reg, main, compared, findings, has_history, next_year))
    others = ", ".join(r.scenario.id for r in compared) or "no other scenario"
    note = f"Run: {main.scenario.id} and {others}, {main.trials:,} trials a horizon, seed {main.seed}."
    _emit(disclosure_text.check_text(statuses, reg.id, fmt.value, note), output)
    if strict and disclosure_index.failing(statuses):
        raise typer.Exit(1)
