"""What every command shares: the Typer app, options, error handling, progress and output."""

from __future__ import annotations

import contextlib
import functools
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from climaterisk.analysis.assess import assess
from climaterisk.analysis.options import AssessOptions
from climaterisk.analysis.results import Assessment
from climaterisk.errors import ClimateRiskError, InputError, OutputError, Problem
from climaterisk.io import (
    committed_count,
    committed_since,
    file_target_problem,
    folder_target_problem,
    write_file,
)
from climaterisk.outputs import render
from climaterisk.register import load_register
from climaterisk.register.migration import FormatNotice
from climaterisk.scenarios import Scenario, load_scenario

HIDDEN_ALIASES = frozenset({"--output", "--year"})
"""Former option names, still accepted so that existing scripts work, but left out of the help:
``--output`` (now ``--out/-o`` on every command that writes) and ``scenarios --year`` (now
``--horizon``)."""


class _AliasHidingOption(TyperOption):
    """An option whose help leaves out the names in :data:`HIDDEN_ALIASES`."""

    def get_help_record(self, ctx: typer.Context) -> tuple[str, str] | None:
        saved = self.opts
        self.opts = [o for o in saved if o not in HIDDEN_ALIASES] or saved
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = saved


def _single_valued(command: TyperCommand) -> dict[str, TyperOption]:
    """The command's options that take one value (not repeatable, not flags), by every name."""
    return {name: p for p in command.params if isinstance(p, TyperOption)
            and not (p.multiple or p.is_flag or p.count) for name in p.opts}


def _takes_value(command: TyperCommand) -> set[str]:
    return {name for p in command.params if isinstance(p, TyperOption)
            and not (p.is_flag or p.count) for name in p.opts}


def repeated_options(command: TyperCommand, args: list[str]) -> dict[TyperOption, list[str]]:
    """The single-valued options of ``command`` given more than once in ``args``, with the values
    given (click would silently keep the last one)."""
    single, valued = _single_valued(command), _takes_value(command)
    seen: dict[TyperOption, list[str]] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            break
        if not arg.startswith("-") or arg == "-":
            continue
        name, value = (arg.split("=", 1) if arg.startswith("--") and "=" in arg
                       else (arg[:2], arg[2:]) if not arg.startswith("--") and len(arg) > 2 else (arg, None))
        if name in valued and value is None and i < len(args):
            value = args[i]
            i += 1
        if name in single:
            seen.setdefault(single[name], []).append(value or "")
    return {opt: values for opt, values in seen.items() if len(values) > 1}


class Grammar(TyperGroup):
    """The command group of every ``climaterisk`` command: hides former option names from help
    (:data:`HIDDEN_ALIASES`) and refuses a single-valued option given twice, instead of silently
    keeping the last value (repeatable options, such as ``--horizon``, accumulate)."""

    def resolve_command(self, ctx: typer.Context, args: list[str]):  # type: ignore[no-untyped-def]
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, TyperCommand):
            for param in command.params:
                if isinstance(param, TyperOption) and HIDDEN_ALIASES & set(param.opts):
                    param.__class__ = _AliasHidingOption
            for opt, values in repeated_options(command, rest).items():
                raise typer.BadParameter(
                    f"given {len(values)} times ({', '.join(values)}); it takes one value "
                    "(give it once)", ctx=ctx, param=opt)
        return name, command, rest


app = typer.Typer(
    cls=Grammar,
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


@contextlib.contextmanager
def _notices() -> Iterator[None]:
    """Print each distinct :class:`FormatNotice` (an older register read as the current format) once
    on stderr as ``notice: ...``; other warnings go their usual way."""
    shown: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("always", FormatNotice)
        usual = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
            if not issubclass(category, FormatNotice):
                usual(message, category, filename, lineno, file, line)
            elif str(message) not in shown:
                shown.add(str(message))
                typer.echo(f"notice: {message}", err=True)

        warnings.showwarning = show
        yield


def handle_errors(func: F) -> F:
    """Turn the library's errors into messages on stderr and exit codes."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        before = committed_count()
        try:
            with _notices():
                return func(*args, **kwargs)
        except InputError as exc:
            _fail(2, [*render.problems_text(exc.problems).splitlines(),
                      f"{len(exc.problems)} problem(s); {_written_since(before)}."])
        except OutputError as exc:
            _fail(1, [f"error: {exc}"])
        except ClimateRiskError as exc:
            _fail(2, [f"error: {exc}"])
        except KeyboardInterrupt:
            _fail(130, [f"interrupted; {_written_since(before)}."])

    return wrapper  # type: ignore[return-value]


def _written_since(count: int) -> str:
    """What the command wrote before it stopped, for its last line: outputs are moved in as whole
    sets, so this is "nothing was written" unless a set had been committed already."""
    done = committed_since(count)
    if not done:
        return "nothing was written"
    shown = ", ".join(str(p) for p in done[:3]) + (f" and {len(done) - 3} more" if len(done) > 3 else "")
    return f"{len(done)} file(s) had been written before ({shown}); nothing else was"


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


def is_stdout(output: Path | None) -> bool:
    """Whether ``-o`` asks for standard output: left out, or ``-``."""
    return output is None or str(output) == "-"


def check_output(output: Path | None, option: str = "--out") -> None:
    """Refuse, before any work, an output file that could not be written: a folder, a file under
    a file, a missing or unwritable folder, a device, ``/dev/stdout`` or a named pipe."""
    if is_stdout(output):
        return
    assert output is not None
    problem = file_target_problem(output)
    if problem:
        raise InputError(Problem("", "", option, str(output), problem))


def check_folder(folder: Path, option: str = "--out") -> None:
    """Refuse, before any work, an output folder that could not be created or written into."""
    problem = folder_target_problem(folder, creating=True)
    if problem:
        raise InputError(Problem("", "", option, str(folder), problem))


def _emit(text: str, output: Path | None) -> None:
    if is_stdout(output):
        typer.echo(text, nl=False)
    else:
        assert output is not None
        write_file(output, text)
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


def one_register(option: str | None, positional: str | None) -> str | None:
    """The register of a command that also takes it as a positional argument (the older form):
    ``--register`` or the argument, refused when both are given and differ."""
    if option is not None and positional is not None and option != positional:
        raise InputError(Problem("", "", "--register", positional,
                                 f"the register once: --register {option} was given too"))
    return option if option is not None else positional


ScenarioOpt = Annotated[str, typer.Option(
    "--scenario", "-s", help="Scenario id (rcp26, rcp45, rcp85), alias (SSP2-4.5) or YAML path.",
)]
HorizonOpt = Annotated[list[int] | None, typer.Option(
    "--horizon", help="Year to assess; repeat for several (default: medium and long term).",
)]
TrialsOpt = Annotated[int | None, typer.Option(
    help="Simulated years per horizon [default: 100000].", min=1, show_default=False)]
SeedOpt = Annotated[int | None, typer.Option(
    help="Random seed; the same seed gives the same numbers [default: 20231231].", show_default=False)]
ChunkOpt = Annotated[int | None, typer.Option(
    help="Trials whose random draws are held at once (bounds that memory; results do not "
    "depend on it) [default: 100000].", min=1, show_default=False,
)]
WorkersOpt = Annotated[int, typer.Option(
    help="Threads simulating in parallel (0: one per core; at most 4 per core); the numbers do not "
         "depend on it.", min=0,
)]
OutputOpt = Annotated[Path | None, typer.Option(
    "--out", "-o", "--output", help="Write to this file (atomically; - for standard output) instead "
    "of standard output.",
)]


class TextFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    json = "json"


FormatOpt = Annotated[TextFormat, typer.Option("--format", "-f", help="Output format.")]


def run_options(horizon: list[int] | None, trials: int | None, seed: int | None,
                chunk_size: int | None = None, **what: object) -> AssessOptions:
    """The run options of a command; ``workers`` defaults to one thread per core."""
    what.setdefault("workers", 0)
    twice = sorted({y for y in horizon or [] if (horizon or []).count(y) > 1})
    if twice:
        typer.echo(f"note: --horizon {', '.join(map(str, twice))} given more than once; "
                   "each year is assessed once", err=True)
    horizon = list(dict.fromkeys(horizon or []))  # a year given twice is assessed once
    return AssessOptions.of(horizons=horizon or None, trials=trials, seed=seed, chunk_trials=chunk_size,
                            **what)


def progress_for(scenario: Scenario) -> Progress:
    return Progress(f"simulating {scenario.id}")


class ScenarioProgress:
    """A progress line per scenario of a run across scenarios, each ended before the next."""

    def __init__(self) -> None:
        self.current: Progress | None = None

    def __call__(self, scenario: Scenario) -> Progress:
        self.close()
        self.current = progress_for(scenario)
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.close()


def _simulate(register: str | None, scenario: str, options: AssessOptions) -> Assessment:
    reg = load_register(register)
    sc = load_scenario(scenario)
    progress = progress_for(sc)
    try:
        return assess(reg, sc, options, progress=progress)
    finally:
        progress.close()


StoreOpt = Annotated[str | None, typer.Option(
    "--store", help="History store: a SQLite file, or a PostgreSQL URL (postgresql://user@host/db) "
    "for a team (default: $CLIMATERISK_STORE, else .climaterisk/history.sqlite beside the register "
    "folder; for a shipped register, in the current folder).",
)]


def _store_path(store: str | Path | None, register_path: Path) -> Path | str:
    """The history store's location: --store, else $CLIMATERISK_STORE, else the default file
    (a ``postgresql://`` URL stays a string)."""
    from climaterisk.history.store import store_location

    return store_location(store, register_path)


def version_callback(value: bool) -> None:
    if value:
        from climaterisk._version import __version__

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


