"""One command-line grammar: the same option names everywhere, repeatable options that accumulate,
help examples that run from an empty folder, terminal tables that fit 120 columns, and an Excel
round trip that changes nothing."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from climaterisk.cli import app
from climaterisk.cli.common import HIDDEN_ALIASES, repeated_options

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def commands() -> dict[str, object]:
    """Every command by its name as typed (``register show`` for a sub-command)."""
    out = {}
    for name, cmd in typer.main.get_command(app).commands.items():
        subs = getattr(cmd, "commands", None)
        if subs:
            out.update({f"{name} {sub}": c for sub, c in subs.items()})
        else:
            out[name] = cmd
    return out


def examples(name: str) -> list[str]:
    """The ``Example:`` paragraphs of a command's --help (click wraps them: joined again)."""
    text = run(*name.split(), "--help").output
    found = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return [p.removeprefix("Example: ") for p in found if p.startswith("Example: climaterisk ")]


# ---------------------------------------------------------------------------- option names


def test_the_same_thing_has_the_same_option_everywhere():
    short = {"--register": "-r", "--out": "-o", "--format": "-f", "--scenario": "-s"}
    seen = set()
    for name, cmd in commands().items():
        for param in cmd.params:
            opts = set(getattr(param, "opts", []))
            for long, letter in short.items():
                if long in opts:
                    seen.add(long)
                    assert letter in opts, f"{name} {long} has no {letter}"
            former = {"--output", "--year"} & opts
            assert not former or {"--out", "--horizon"} & opts, (
                f"{name}: a former option name without the current one: {sorted(opts)}")
            assert not ({"-o"} & opts) or "--out" in opts, f"{name}: -o is not --out"
    assert seen == set(short)


def test_every_command_that_writes_a_file_takes_out():
    for name in ("assess", "controls", "coverage", "gaps", "graph", "register show", "ghg", "disclosures",
                 "sensitivity", "review", "history", "report", "appendix", "export-xlsx", "import-xlsx",
                 "init"):
        opts = {o for p in commands()[name].params for o in getattr(p, "opts", [])}
        assert {"--out", "-o"} <= opts, name


def test_the_former_output_name_works_but_is_not_shown(tmp_path):
    target = tmp_path / "g.dot"
    result = run("graph", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("digraph")
    for name in ("assess", "graph", "export-xlsx", "report"):
        text = run(*name.split(), "--help").output
        assert "-o, --out" in text, name
        assert not any(alias in text for alias in HIDDEN_ALIASES), name


def test_validate_and_export_take_register_as_an_option_and_as_the_older_argument(tmp_path):
    assert run("validate", "--register", "kuaishou-2023").exit_code == 0
    assert run("validate", "kuaishou-2023").exit_code == 0
    clash = run("validate", "--register", "kuaishou-2023", "other")
    assert clash.exit_code == 2 and "--register" in clash.output and "once" in clash.output
    target = tmp_path / "r.xlsx"
    assert run("export-xlsx", "-r", "kuaishou-2023", "-o", str(target)).exit_code == 0
    assert target.stat().st_size > 10_000


def test_init_takes_its_folder_as_out_too(tmp_path):
    assert run("init", "--out", str(tmp_path / "a"), "--from", "kuaishou-2023").exit_code == 0
    assert (tmp_path / "a" / "risks.yaml").is_file()
    clash = runner.invoke(app, ["init", str(tmp_path / "b"), "-o", str(tmp_path / "c")])
    assert clash.exit_code == 2 and "--out" in clash.output
    assert not (tmp_path / "b").exists() and not (tmp_path / "c").exists()
    missing = runner.invoke(app, ["init"])
    assert missing.exit_code == 2 and "new register folder" in missing.output


# ---------------------------------------------------------------------------- repeated options


def test_a_single_valued_option_given_twice_is_refused():
    result = runner.invoke(app, ["assess", "--scenario", "rcp26", "-s", "rcp85", "--trials", "10"])
    assert result.exit_code == 2
    assert "given 2 times (rcp26, rcp85)" in result.output and "--scenario" in result.output
    result = runner.invoke(app, ["gaps", "--format=json", "-f", "table"])
    assert result.exit_code == 2 and "given 2 times (json, table)" in result.output


def test_repeated_options_are_found_in_every_spelling():
    cmd = commands()["assess"]
    args = ["-sfoo", "--scenario=bar", "--horizon", "2030", "--horizon", "2050", "--trials", "5",
            "--", "-s", "x"]
    found = {o.name: v for o, v in repeated_options(cmd, args).items()}
    assert found == {"scenario": ["foo", "bar"]}  # --horizon accumulates; after -- nothing is an option
    # a value that looks like an option name is a value, not a repeat
    assert repeated_options(cmd, ["--register", "--scenario", "--scenario", "rcp45"]) == {}


def test_repeated_compare_and_horizon_accumulate(monkeypatch):
    from climaterisk.cli import analysis

    seen = {}

    def fake(scenario, compare, register, horizon, trials, seed, chunk_size):  # type: ignore[no-untyped-def]
        seen.update(compare=compare, horizon=horizon)
        raise KeyboardInterrupt

    monkeypatch.setattr(analysis, "_scenario_runs", fake)
    runner.invoke(app, ["appendix", "--compare", "rcp26", "--compare", "rcp85", "--horizon", "2030",
                        "--horizon", "2050", "--out", "nowhere-written"])
    assert seen == {"compare": ["rcp26", "rcp85"], "horizon": [2030, 2050]}


def test_appendix_formats_accumulate(tmp_path):
    out = tmp_path / "appendix"
    result = run("appendix", "--trials", "100", "--compare", "none", "-f", "csv", "-f", "xlsx", "-f", "csv",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert "appendix.xlsx" in names and "risk_register.csv" in names and "appendix.md" not in names


def test_a_horizon_given_twice_is_assessed_once():
    result = run("assess", "--horizon", "2050", "--horizon", "2030", "--horizon", "2050", "--trials", "200",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    assert "given more than once" in result.stderr
    assert sorted(h["year"] for h in json.loads(result.stdout)["horizons"]) == [2030, 2050]
    shown = run("scenarios", "--horizon", "2030", "--horizon", "2030", "--year", "2050").output
    header = next(line for line in shown.splitlines() if line.startswith("driver"))
    assert header.split()[2:] == ["2030", "2050"]


# ---------------------------------------------------------------------------- help examples


FAST = {"--trials": "100", "--world-trials": "50", "--sweep-trials": "100", "--uncertainty-worlds": "2",
        "--sobol-samples": "8", "--sobol-trials": "50"}
"""Options the example test adds (or sets) where a command has them, to keep it fast."""
NEEDS = {"--world-trials": "--uncertainty", "--sobol-samples": "--sobol", "--sobol-trials": "--sobol"}
"""Options the test adds only where the example gives the option they go with."""
SMALLER = {"--uncertainty": "4"}
"""Options whose value the example test lowers where an example gives them."""
FIRST = ["init", "export-xlsx", "import-xlsx", "migrate", "snapshot", "history", "review"]
"""Commands whose examples run first, in this order: the later ones use what the earlier wrote
(the register folder of init, the workbook of export-xlsx, the snapshots of snapshot)."""


def _fast(name: str, args: list[str]) -> list[str]:
    opts = {o for p in commands()[name].params for o in getattr(p, "opts", [])}
    args = list(args)
    for option, value in {**FAST, **SMALLER}.items():
        if option in args:
            args[args.index(option) + 1] = value
        elif option in FAST and option in opts and NEEDS.get(option, option) in [*args, option]:
            args += [option, value]
    return args


def test_every_help_example_runs_from_an_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLIMATERISK_STORE", raising=False)
    names = sorted(commands(), key=lambda n: (FIRST.index(n) if n in FIRST else len(FIRST), n))
    assert set(FIRST) <= set(names)
    for name in names:
        found = examples(name)
        assert found, f"{name} has no example"
        for example in found:
            words = shlex.split(example)
            assert words[0] == "climaterisk" and " ".join(words[1:]).startswith(name), example
            redirect = words.index(">") if ">" in words else None
            args = _fast(name, words[1:redirect])
            result = runner.invoke(app, args)
            allowed = {0, 1} if "--strict" in args else {0}  # --strict: exit 1 names the gaps it found
            assert result.exit_code in allowed, f"{example}\n{result.output}"
            if redirect is not None:
                (tmp_path / words[redirect + 1]).write_text(result.stdout, encoding="utf-8")
    assert (tmp_path / "my-register" / "register.yaml").is_file()
    assert json.loads((tmp_path / "register.schema.json").read_text(encoding="utf-8"))["type"] == "object"


def test_no_help_example_uses_a_checkout_path():
    for name in commands():
        for example in examples(name):
            assert "registers/" not in example, example


# ---------------------------------------------------------------------------- terminal tables


TABLES = [("assess",), ("controls",), ("coverage",), ("gaps",), ("gaps", "--scenario", "rcp45"),
          ("register", "show"), ("ghg",), ("ghg", "--scenario", "rcp45"), ("disclosures",), ("scenarios",),
          ("sensitivity",)]


@pytest.mark.parametrize("args", TABLES, ids=[" ".join(a) for a in TABLES])
def test_terminal_tables_fit_120_columns(args):
    opts = {o for p in commands()[" ".join(args[:2]) if args[0] == "register" else args[0]].params
            for o in getattr(p, "opts", [])}
    fast = ["--trials", "100"] if "--trials" in opts else []
    result = run(*args, *fast)
    assert result.exit_code == 0, result.output
    widest = max(result.output.splitlines(), key=len)
    assert len(widest) <= 120, f"{len(widest)} characters: {widest}"


def test_money_in_terminal_tables_is_in_millions():
    out = run("assess", "--trials", "200", "--horizon", "2050").output
    assert "CNY m (millions)" in out
    total = next(line for line in out.splitlines() if line.split()[:1] == ["Total"])
    eal = json.loads(run("assess", "--trials", "200", "--horizon", "2050", "--format", "json").stdout)
    residual = eal["horizons"][0]["total"]["residual"]["mean"]
    assert f"{residual / 1e6:.3g}" in total.replace(",", "")


def test_history_shows_every_horizon_and_the_currency(tmp_path):
    store = str(tmp_path / "h.sqlite")
    for quarter, years in (("2026Q3", ["2030", "2050"]), ("2026Q4", ["2030", "2040", "2050"])):
        horizons = [a for y in years for a in ("--horizon", y)]
        assert run("snapshot", "-q", quarter, "--trials", "100", "--store", store, *horizons).exit_code == 0
    markdown = run("history", "--store", store, "--format", "markdown").output
    header = next(line for line in markdown.splitlines() if line.startswith("| quarter"))
    assert [c.strip() for c in header.split("|")[6:-1]] == [
        "EAL 2030", "VaR99 2030", "EAL 2040", "VaR99 2040", "EAL 2050", "VaR99 2050"]
    out = run("history", "--store", store).output
    assert "CNY m" in out and max(map(len, out.splitlines())) <= 120
    q3 = next(line for line in out.splitlines() if line.startswith("2026Q3"))
    assert q3.split()[-4:-2] == ["-", "-"]  # 2040 was not run in Q3
    q4 = next(line for line in out.splitlines() if line.startswith("2026Q4"))
    assert "-" not in q4.split()[-6:]


# ---------------------------------------------------------------------------- Excel and README


def test_excel_round_trip_changes_nothing(tmp_path):
    from climaterisk.history.review import register_changes
    from climaterisk.register import load_register

    book, back = tmp_path / "register.xlsx", tmp_path / "back"
    assert run("export-xlsx", "--register", "kuaishou-2023", "--out", str(book)).exit_code == 0
    result = run("import-xlsx", str(book), "--out", str(back))
    assert result.exit_code == 0, result.output
    original = load_register("kuaishou-2023")
    assert register_changes(original.path, back) == []
    # the region whose common_events list is written empty keeps it
    assert "common_events: []" in (back / "sites.yaml").read_text(encoding="utf-8")


def test_import_reports_an_unknown_control_with_the_other_problems(tmp_path):
    import openpyxl

    book = tmp_path / "register.xlsx"
    assert run("export-xlsx", "--register", "kuaishou-2023", "--out", str(book)).exit_code == 0
    wb = openpyxl.load_workbook(book)
    ws = wb["risks"]
    headers = [c.value for c in ws[1]]
    ws.cell(row=2, column=headers.index("controls") + 1).value = "C1; C99"
    ws.cell(row=3, column=headers.index("rating.likelihood") + 1).value = 9
    wb.save(book)
    result = runner.invoke(app, ["import-xlsx", str(book), "--out", str(tmp_path / "reg")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 2, result.output
    assert any("rating.likelihood: got 9" in line for line in lines)
    assert any("controls: got 'C99'" in line and "the id of a control" in line for line in lines)
    assert not (tmp_path / "reg").exists()


def test_readme_quick_start_runs_in_a_virtual_environment():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    venv = "python3 -m venv .venv && . .venv/bin/activate"
    assert venv in quick
    assert quick.index(venv) < quick.index("python -m pip install .")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m venv .venv" in ci and ". .venv/bin/activate" in ci
