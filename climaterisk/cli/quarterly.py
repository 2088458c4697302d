"""Commands of the quarterly cycle: snapshot, history, review."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from climaterisk.cli.common import (
    ChunkOpt,
    FormatOpt,
    HorizonOpt,
    OutputOpt,
    RegisterOpt,
    ScenarioOpt,
    SeedOpt,
    StoreOpt,
    TextFormat,
    TrialsOpt,
    _emit,
    _simulate,
    _store_path,
    app,
    check_output,
    handle_errors,
    run_options,
)
from climaterisk.errors import InputError, Problem
from climaterisk.outputs import render
from climaterisk.register import load_register, resolve_register_path
from climaterisk.scenarios import load_scenario


@app.command("snapshot")
@handle_errors
def snapshot_cmd(
    quarter: Annotated[str, typer.Option("--quarter", "-q", help="Quarter, e.g. 2026Q3.")],
    scenario: ScenarioOpt = "rcp45",
    register: RegisterOpt = None,
    horizon: HorizonOpt = None,
    trials: TrialsOpt = None,
    seed: SeedOpt = None,
    chunk_size: ChunkOpt = None,
    store: StoreOpt = None,
) -> None:
    """Record the register, scenario, results and manifest of a quarter in the history store.

    A second snapshot of the same quarter becomes a new revision; nothing is overwritten.

    Example: climaterisk snapshot --quarter 2026Q3 --scenario rcp45

    Example: climaterisk snapshot --quarter 2026Q4 --scenario rcp45
    """
    from climaterisk.history import store as history

    history.check_quarter(quarter, "--quarter")
    path = _store_path(store, resolve_register_path(register))
    if history.store_exists(path):  # refuse a store that is not ours or not writable before simulating
        history.Store(path).close()
    result = _simulate(register, scenario, run_options(horizon, trials, seed, chunk_size))
    path = _store_path(store, result.register.path)
    with history.Store(path) as db:
        snap = db.add(quarter, result.register, result.scenario, result.to_dict())
    typer.echo(f"recorded {snap.quarter} revision {snap.revision} of register {snap.register_id} "
               f"({snap.scenario_id}, folder {snap.register_path}) in {history.describe(path)}")


@app.command("history")
@handle_errors
def history_cmd(
    register: RegisterOpt = None,
    store: StoreOpt = None,
    fmt: FormatOpt = TextFormat.table,
    output: OutputOpt = None,
) -> None:
    """List the snapshots in the history store, register by register (id and folder), with the
    residual EAL and VaR 99% of every horizon in millions of the register's currency.

    The store is opened read-only: this works on an archived, read-only store and never waits
    for a snapshot being written.

    Example: climaterisk history --store .climaterisk/history.sqlite
    """
    from climaterisk.history import store as history

    check_output(output)
    path = _store_path(store, resolve_register_path(register))
    with history.open_existing(path) as db:
        snaps = db.list()
    groups = list(history.iter_registers(snaps))
    if fmt is TextFormat.json:
        _emit(render.to_json({
            "store": history.describe(path),
            "registers": [{"register_id": rid, "register_path": folder, "snapshots": [
                {k: getattr(s, k) for k in history.SUMMARY_FIELDS} for s in group]}
                for rid, folder, group in groups],
            "snapshots": [{k: getattr(s, k) for k in history.SUMMARY_FIELDS} for s in snaps]}), output)
        return
    markdown = fmt is TextFormat.markdown
    parts = [] if groups else [render.history_text([], markdown=markdown)]
    for i, (rid, folder, group) in enumerate(groups):
        where = f"folder {folder}" if folder else "folder not recorded (taken before stores kept it)"
        title = f"Register {rid}, {where}: {len(group)} snapshot(s)"
        parts.append(("\n" if i else "") + (f"## {title}\n\n" if markdown else f"{title}\n\n"))
        parts.append(render.history_text(group, markdown=markdown))
    _emit("".join(parts), output)


class ReviewFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    json = "json"
    html = "html"


@app.command("review")
@handle_errors
def review_cmd(
    quarter: Annotated[str | None, typer.Option("--quarter", "-q", help="Quarter to review.")] = None,
    against: Annotated[str | None, typer.Option(
        "--against", help="An earlier quarter to compare with (default: the latest earlier "
        "snapshot).")] = None,
    against_register: Annotated[Path | None, typer.Option(
        "--against-register", help="Compare --register with this register folder directly, "
        "without a store.")] = None,
    register: RegisterOpt = None,
    scenario: ScenarioOpt = "rcp45",
    horizon: HorizonOpt = None,
    trials: TrialsOpt = None,
    seed: SeedOpt = None,
    store: StoreOpt = None,
    across_registers: Annotated[bool, typer.Option(
        "--across-registers", help="Compare snapshots taken from different register folders that "
        "share a register id (refused otherwise).")] = False,
    fmt: Annotated[ReviewFormat, typer.Option(
        "--format", "-f", help="table (terminal text), markdown, json, or html (one page made for "
        "printing to PDF from a browser).")] = ReviewFormat.table,
    output: OutputOpt = None,
) -> None:
    """The committee's quarterly pack: a summary of what moved and why, each register change's
    own effect, the movement per risk, decisions due, overdue controls and targets.

    The movement of residual EAL is split into each register change's own contribution (one at a
    time, on the same random draws), an interaction remainder, scenario changes and the re-run
    difference (sampling noise or a new tool version), which add up to it. Amounts in millions.

    Example: climaterisk review --quarter 2026Q4 --against 2026Q3 --format html -o pack.html
    """
    check_output(output)
    from climaterisk.history import review

    if against_register is not None:
        current = load_register(register)
        earlier = load_register(against_register)
        opts = run_options(horizon, trials, seed).resolved()
        pack = review.review_registers(current, earlier, load_scenario(scenario), horizon or None,
                                       opts.trials, opts.seed)
    else:
        if quarter is None:
            raise InputError(Problem("", "", "--quarter", None,
                                     "the quarter to review (or --against-register PATH)"))
        path = _store_path(store, resolve_register_path(register))
        pack = review.review_quarter(path, load_register(register), quarter, against, across_registers)
        folders = pack["register_folders"]
        if folders["current"] and folders["against"] and folders["current"] != folders["against"]:
            typer.echo(f"note: comparing snapshots of two register folders with one id (--across-registers): "
                       f"{folders['current']} against {folders['against']}", err=True)
    from climaterisk.outputs import pack as committee_pack

    pack["summary"] = committee_pack.summary(pack)
    doc = committee_pack.pack_document(pack)
    if fmt is ReviewFormat.json:
        text = render.to_json(pack)
    elif fmt is ReviewFormat.html:
        text = committee_pack.pack_html(doc)
    else:
        text = committee_pack.pack_text(doc, markdown=fmt is ReviewFormat.markdown)
    _emit(text, output)


