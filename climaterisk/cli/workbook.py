"""Commands that meet users where they are: the register as an Excel workbook and back
(export-xlsx, import-xlsx), and a new register folder to start from (init),
and an older register rewritten in the current format (migrate)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from climaterisk.cli.common import RegisterOpt, app, check_output, handle_errors, one_register
from climaterisk.errors import InputError, Problem
from climaterisk.io import write_file
from climaterisk.outputs import spreadsheet
from climaterisk.register import load_register, migration, resolve_register_path, scaffold


@app.command("export-xlsx")
@handle_errors
def export_xlsx_cmd(
    register: RegisterOpt = None,
    positional: Annotated[str | None, typer.Argument(
        help="Register folder (the older form of --register).", hidden=True,
    )] = None,
    out: Annotated[Path, typer.Option(
        "--out", "-o", "--output", help="Workbook to write (.xlsx; written atomically).",
    )] = Path("register.xlsx"),
) -> None:
    """Write the whole register as an Excel workbook, one sheet per entity.

    Sheets: metadata (one row per field of register.yaml), documents, reported_checks, regions,
    common_events, sites, risks, risk_models, opportunities, opportunity_models, controls,
    metrics, targets. Headers give units; enumerated columns have drop-down lists. Edit it and
    read it back with import-xlsx. The register must be valid (see climaterisk validate).

    Example: climaterisk export-xlsx --register kuaishou-2023 --out register.xlsx
    """
    register = one_register(register, positional)
    check_output(out, "--out")
    data = spreadsheet.export_xlsx(register)
    write_file(out, data)
    typer.echo(f"wrote {out}", err=True)


@app.command("import-xlsx")
@handle_errors
def import_xlsx_cmd(
    workbook: Annotated[Path, typer.Argument(help="Workbook written by export-xlsx (and edited).")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", "--output", help="Register folder to write the YAML files into.",
    )],
    force: Annotated[bool, typer.Option(
        "--force", help="Write into a folder that is not empty: overwrite its register files "
        "(other files are left alone).",
    )] = False,
) -> None:
    """Read a register workbook back into a folder of YAML register files.

    Every problem is reported at once, with its sheet, row and column, and nothing is written
    unless the register is valid. YAML comments of an earlier register are not kept.

    Example: climaterisk import-xlsx register.xlsx --out register-from-excel
    """
    written, reg = spreadsheet.import_register(workbook, out, force=force)
    for stray in sorted(out.glob("*.y*ml")):
        if stray.name not in {p.name for p in written} and stray.suffix in (".yaml", ".yml"):
            typer.echo(f"note: {stray} is not a register file; climaterisk validate will report it",
                       err=True)
    typer.echo(
        f"{out}: wrote {', '.join(p.name for p in written)}; valid register {reg.id} "
        f"({len(reg.sites)} sites, {len(reg.risks)} risks, {len(reg.opportunities)} opportunities, "
        f"{len(reg.controls)} controls, {len(reg.metrics)} metrics, {len(reg.targets)} targets)"
    )


@app.command("init")
@handle_errors
def init_cmd(
    folder: Annotated[Path | None, typer.Argument(
        help="New register folder (must not exist, or be empty); or give it with --out.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", "--output", help="New register folder (the same as the argument).")] = None,
    source: Annotated[str | None, typer.Option(
        "--from", help="Copy this shipped register (see climaterisk registers) or register folder "
        "instead of the commented skeleton.",
    )] = None,
) -> None:
    """Start a new register folder: a commented skeleton with one example of each entity, or a
    copy of a shipped register to edit.

    A copy gets its own register id (the new folder's name), so that its snapshots never mix
    with the original's in a history store. Refuses a folder that already holds files.

    Example: climaterisk init my-register --from kuaishou-2023
    """
    if folder is not None and out is not None and folder != out:
        raise InputError(Problem("", "", "--out", str(out), f"the folder once: {folder} was given too"))
    folder = folder if folder is not None else out
    if folder is None:
        raise InputError(Problem("", "", "--out", None, "the new register folder (climaterisk init FOLDER)"))
    written = scaffold.new_register(folder, source)
    origin = f"a copy of {source}" if source else "the skeleton"
    if source:  # a copy gets its own register id, so that its history stays its own
        origin += f", register id {load_register(folder).id}"
    typer.echo(f"{folder}: {len(written)} register files from {origin}; edit them, then run "
               f"climaterisk validate --register {folder}")


@app.command("migrate")
@handle_errors
def migrate_cmd(
    register: RegisterOpt = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print what would change and write nothing.",
    )] = False,
) -> None:
    """Rewrite an older register folder in the current format (format 2), keeping its comments.

    A format-1 register already loads (read as format 2 in memory, with a notice); this updates
    its files so the notice goes. Format 2 only added optional fields and files, so the only
    edit is register.yaml's format_version line: the rest of every file, comments and layout
    included, is left as it was. Every new file is produced before any is written, each
    written atomically. Prints one line per change; a current register is left untouched.

    Example: climaterisk migrate --register my-register --dry-run
    """
    folder = resolve_register_path(register)
    if not folder.is_dir():
        load_register(folder)  # the usual "no such register folder" problem
    changes = migration.migrate_folder(folder, dry_run=dry_run)
    if not changes:
        typer.echo(f"{folder}: already format {migration.FORMAT_VERSION}; nothing to change")
        return
    typer.echo(f"{folder}:")
    for line in changes:
        typer.echo(line)
    verb = "would rewrite" if dry_run else "rewrote"
    typer.echo(f"{folder}: {verb} to format {migration.FORMAT_VERSION}"
               + (" (dry run: nothing written)" if dry_run else ""))
