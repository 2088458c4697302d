"""A catalogue of bad inputs, each refused the same way by the command line.

Every case below breaks one thing in the small test register (or the scenario, an option, the
output path) and runs the CLI on it. Each must end with exit code 2 (1 for an output that cannot
be written, which is what the CLI does today), one ``error:`` line per problem naming the file,
the entry id, the field, the bad value and what was expected, no traceback, and no file written.

``docs/bad-input.md`` shows every case with the exact message the user gets. It is generated
from this table; after changing a case or a message, regenerate it from the repository root:

    python -m tests.test_bad_inputs
"""

from __future__ import annotations

import copy
import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from climaterisk import io
from climaterisk.cli import app
from climaterisk.outputs.spreadsheet import reader as xlsx_reader
from tests.conftest import register_files, scenario_dict, write_register, write_scenario

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "bad-input.md"
runner = CliRunner()


# --------------------------------------------------------------------------- case helpers


@dataclass
class Ctx:
    """What a case may change: the register's data before it is written, files after."""

    files: dict
    monkeypatch: pytest.MonkeyPatch
    after: list[Callable[[Path], None]] = field(default_factory=list)


Setup = Callable[[Ctx], None]


def _walk(data: object, path: str) -> tuple[object, object]:
    keys: list[object] = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        data = data[key]  # type: ignore[index]
    return data, keys[-1]


def edit(file: str, path: str, value: object) -> Setup:
    """Set ``path`` (dotted, list indices as numbers) of ``file`` to ``value``."""
    def setup(ctx: Ctx) -> None:
        parent, key = _walk(ctx.files[file], path)
        parent[key] = value  # type: ignore[index]
    return setup


def drop(file: str, path: str) -> Setup:
    def setup(ctx: Ctx) -> None:
        parent, key = _walk(ctx.files[file], path)
        del parent[key]  # type: ignore[attr-defined]
    return setup


def rename(file: str, path: str, new: str) -> Setup:
    def setup(ctx: Ctx) -> None:
        parent, key = _walk(ctx.files[file], path)
        parent[new] = parent.pop(key)  # type: ignore[attr-defined]
    return setup


def raw(file: str, content: str | bytes) -> Setup:
    """Write ``content`` as ``reg/<file>`` after the register is written."""
    def setup(ctx: Ctx) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        ctx.after.append(lambda reg: (reg / file).write_bytes(data))
    return setup


def replace_text(file: str, old: str, new: str) -> Setup:
    """Replace the first ``old`` in the written ``reg/<file>`` (for YAML the dumper would quote)."""
    def setup(ctx: Ctx) -> None:
        def change(reg: Path) -> None:
            text = (reg / file).read_text(encoding="utf-8")
            assert old in text, (old, text)
            (reg / file).write_text(text.replace(old, new, 1), encoding="utf-8")
        ctx.after.append(change)
    return setup


def after(action: Callable[[Path], None]) -> Setup:
    def setup(ctx: Ctx) -> None:
        ctx.after.append(action)
    return setup


def scenario(change: Callable[[dict], None]) -> Setup:
    """Write ``bad.yaml``: the test scenario with ``change`` applied."""
    def setup(ctx: Ctx) -> None:
        data = scenario_dict()
        change(data)
        write_scenario(Path("bad.yaml"), data)
    return setup


def with_bia(**change: object) -> Setup:
    """Add ``bia.yaml`` with one valid activity (MTPD 3 days at site a), with ``change`` applied to
    it (``depends_on`` replaces the dependencies)."""
    def setup(ctx: Ctx) -> None:
        activity = {"id": "streaming", "name": "Video streaming", "priority": 1,
                    "mtpd_days": {"value": 3.0, "source": "assumption: test"},
                    "rto_days": 1.0, "rpo_hours": 1.0, "mbco": "Playback at reduced bit rate",
                    "depends_on": {"sites": ["a"]}}
        activity.update(change)
        ctx.files["bia.yaml"] = {"activities": [activity]}
    return setup


def with_ghg(change: Callable[[dict], None]) -> Setup:
    """Add ``ghg.yaml``: site a's electricity (from sites.yaml) at the report-implied factor, a
    10 MWh green-power instrument on it, with ``change`` applied."""
    def setup(ctx: Ctx) -> None:
        q = {"value": 10.0, "source": "assumption: test"}
        data = {
            "reporting_year": 2020, "standard": "GHG Protocol Corporate Standard",
            "consolidation": {"approach": "operational_control", "basis": "assumption: test"},
            "measurement": "activity data x emission factors", "gases": ["CO2"],
            "activities": [{"id": "elec-a", "kind": "electricity", "site": "a", "unit": "MWh",
                            "factor": "report-implied-electricity-2023"}],
            "instruments": [{"id": "gp", "kind": "green_power_trade", "covers": "elec-a", "quantity": q,
                             "unit": "MWh", "factor": "contract-renewable-zero"}],
        }
        change(data)
        ctx.files["ghg.yaml"] = data
    return setup


GHG_CMD = ("ghg", "--register", "reg", "--out", "ghg.md")


def steps(*setups: Setup) -> Setup:
    def setup(ctx: Ctx) -> None:
        for s in setups:
            s(ctx)
    return setup


def fifo(reg: Path) -> None:
    (reg / "risks.yaml").unlink()
    os.mkfifo(reg / "risks.yaml")


def folder_file(reg: Path) -> None:
    (reg / "risks.yaml").unlink()
    (reg / "risks.yaml").mkdir()


VALIDATE = ("validate", "--register", "reg")


def assess(*extra: str, scenario_file: str = "scenario.yaml", trials: str = "1000",
           output: str = "out.json") -> tuple[str, ...]:
    return ("assess", "--register", "reg", "--scenario", scenario_file, "--trials", trials,
            *extra, "--out", output)


BOMB = "lol: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"l{i}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)
)
NESTED = "risks: " + "[" * 5000 + "]" * 5000 + "\n"
ID_RULE = "expected an id: letters, digits"


# --------------------------------------------------------------------------- hostile text and workbooks

IMPORT = ("import-xlsx", "book.xlsx", "--out", "imported")


def workbook(*changes: Callable[[Any], None]) -> Setup:
    """Write ``book.xlsx``: the register ``reg`` exported to Excel, with ``changes`` applied to the
    openpyxl workbook."""
    def make(reg: Path) -> None:
        import io as stdio

        import openpyxl

        from climaterisk.outputs import spreadsheet

        book = openpyxl.load_workbook(stdio.BytesIO(spreadsheet.export_xlsx(reg)))
        for change in changes:
            change(book)
        book.save("book.xlsx")
    return after(make)


def cell(sheet: str, header: str, value: object, row: int = 2) -> Callable[[Any], None]:
    """Set the cell of column ``header`` in ``row`` of ``sheet``."""
    def change(book: Any) -> None:
        ws = book[sheet]
        heads = [c.value for c in ws[1]]
        ws.cell(row=row, column=heads.index(header) + 1).value = value
    return change


def text_sheet(name: str, text: str) -> Callable[[Any], None]:
    """Add sheet ``name`` holding YAML ``text``, a line a row under a header row."""
    def change(book: Any) -> None:
        ws = book.create_sheet(name)
        for line in [name, *text.splitlines()]:
            ws.append([line])
    return change


def xml_entities(reg: Path) -> None:
    """``book.xlsx`` whose first sheet's XML declares entities (the start of a billion laughs)."""
    import io as stdio
    import zipfile

    from climaterisk.outputs import spreadsheet

    src = zipfile.ZipFile(stdio.BytesIO(spreadsheet.export_xlsx(reg)))
    with zipfile.ZipFile("book.xlsx", "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                data = ('<?xml version="1.0"?>\n<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
                        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
                        + text[text.index("<worksheet"):]).encode("utf-8")
            out.writestr(info, data)


def deny_write(name: str) -> Setup:
    """Folder ``name`` looks unwritable (``os.access`` says so: as root, chmod would not stop
    writes, and the message must not depend on who runs the test)."""
    def setup(ctx: Ctx) -> None:
        real = os.access

        def access(path, mode, *a, **k):  # type: ignore[no-untyped-def]
            return False if Path(path).name == name else real(path, mode, *a, **k)
        ctx.monkeypatch.setattr(os, "access", access)
    return setup


def deny_read(name: str) -> Setup:
    """Listing folder ``name`` fails with permission denied (as ``chmod 0300`` would)."""
    def setup(ctx: Ctx) -> None:
        import errno

        real = Path.iterdir

        def iterdir(self: Path):  # type: ignore[no-untyped-def]
            if self.name == name:
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return real(self)
        ctx.monkeypatch.setattr(Path, "iterdir", iterdir)
    return setup


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, the command, and the fragments of each expected line."""

    id: str
    what: str
    setup: Setup
    args: tuple[str, ...]
    errors: tuple[tuple[str, ...], ...]
    code: int = 2
    seconds: float | None = None  # must be refused within this time
    marks: tuple = ()



# --------------------------------------------------------------------------- history store cases


def other_app_db(name: str) -> None:
    """Another application's SQLite database."""
    import sqlite3

    con = sqlite3.connect(name)
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO customers (name) VALUES ('ACME')")
    con.commit()
    con.close()


def _store_with(reg: Path, quarter: str, store: str = "h.sqlite") -> None:
    """A snapshot of ``reg`` (tiny results) in ``store``, kept as one file (rollback journal, as
    an archived copy is), so that reading it leaves no -wal/-shm file behind."""
    import sqlite3

    from climaterisk import load_register
    from climaterisk.history.store import Store

    class NoFile:
        id, path = "test", None

    results = {"horizons": [], "manifest": {"trials": 1000, "seed": 1}}
    with Store(store) as db:
        db.add(quarter, load_register(reg), NoFile(), results)  # type: ignore[arg-type]
    con = sqlite3.connect(store)
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()


def edited_store(reg: Path, results: str = '{"horizons": []}',
                 manifest: str = '{"trials": 1, "seed": 1}') -> None:
    """A store with a good 2026Q2 snapshot and a 2026Q3 row inserted by hand."""
    import sqlite3

    _store_with(reg, "2026Q2")
    con = sqlite3.connect("h.sqlite")
    con.execute("INSERT INTO snapshots (quarter, revision, created_utc, register_id, register_sha256, "
                "register_files, scenario_id, results, manifest, register_path) VALUES "
                "('2026Q3', 1, '2026-10-01T00:00:00+00:00', 'mini', 'x', '{}', 'test', ?, ?, ?)",
                (results, manifest, str(reg.resolve())))
    con.commit()
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()


def two_folders_one_id(reg: Path) -> None:
    """2026Q3 taken of ``reg``, 2026Q4 of a copy of it (same register id) in another folder."""
    import shutil

    shutil.copytree(reg, "copy")
    _store_with(reg, "2026Q3")
    _store_with(Path("copy"), "2026Q4")

C = Case
R, S, K, M, G = "risks.yaml", "sites.yaml", "controls.yaml", "register.yaml", "metrics.yaml"
NOTHING: Setup = steps()

# --------------------------------------------------------------------------- the catalogue

CASES: list[Case] = [
    # ---- files and YAML
    C("yaml-syntax", "YAML syntax error (a colon inside a plain value)",
      raw(R, "risks:\n  - id: R1\n    title: x: y\n"), VALIDATE,
      (("reg/risks.yaml", "line 3, column 13", "mapping values are not allowed here",
        "expected valid YAML"),)),
    C("yaml-unclosed-bracket", "a `[` never closed",
      raw(R, "risks: [\n"), VALIDATE,
      (("reg/risks.yaml", "line 2, column 1", "expected the node content", "expected valid YAML"),)),
    C("yaml-tab-indent", "indentation with a tab",
      raw(R, "risks:\n\t- id: R1\n"), VALIDATE,
      (("reg/risks.yaml", "line 2, column 1", "'\\\\t'", "expected valid YAML"),)),
    C("yaml-duplicate-key", "the same key twice in one mapping",
      raw(R, "risks: []\nrisks: []\n"), VALIDATE,
      (("reg/risks.yaml", "line 2, column 1", "duplicate key 'risks'", "expected valid YAML"),)),
    C("yaml-two-documents", "two YAML documents in one file",
      raw(R, "risks: []\n---\nrisks: []\n"), VALIDATE,
      (("reg/risks.yaml", "line 2, column 1", "expected a single document in the stream but found another",
        "expected valid YAML"),)),
    C("yaml-python-object-tag", "a `!!python/object` tag (code execution in unsafe loaders)",
      raw(R, "!!python/object/apply:os.system [echo hacked]\n"), VALIDATE,
      (("reg/risks.yaml", "line 1, column 1", "tag !!python/object/apply:os.system is not allowed",
        "expected valid YAML"),)),
    C("yaml-custom-tag", "an unknown tag (`!include`)",
      raw(R, "risks: !include other.yaml\n"), VALIDATE,
      (("reg/risks.yaml", "line 1, column 8", "tag !include is not allowed", "expected valid YAML"),)),
    C("yaml-bad-typed-scalar", "an explicit `!!int` on text",
      raw(R, "risks: !!int many\n"), VALIDATE,
      (("reg/risks.yaml", "line 1, column 8", "cannot read 'many' as !!int", "expected valid YAML"),)),
    C("yaml-billion-laughs", "a billion-laughs alias bomb (refused in well under a second)",
      raw(R, BOMB), VALIDATE,
      (("reg/risks.yaml", "line 1, column 6", "anchors (&name) are not allowed", "expected valid YAML"),),
      seconds=1.0),
    C("yaml-merge-key", "a `<<` merge key",
      raw(R, "risks:\n  - {id: R1, <<: {title: x}}\n"), VALIDATE,
      (("reg/risks.yaml", "line 2, column 14", "merge keys (<<) are not allowed", "expected valid YAML"),)),
    C("yaml-deep-nesting", "lists nested 5000 deep (would overflow the parser's stack)",
      raw(R, NESTED), VALIDATE,
      (("reg/risks.yaml", "line 1, column 71", "nested more than 64 deep", "expected valid YAML"),),
      seconds=1.0),
    C("yaml-control-character", "a control character (BEL) in the text",
      raw(R, "risks: a\x07b\n"), VALIDATE,
      (("reg/risks.yaml", "line 1, column 9", "character U+0007", "printable characters only"),)),
    C("not-utf8", "a file saved as Latin-1",
      raw(S, "sites: []  # caf\xe9\n".encode("latin-1")), VALIDATE,
      (("reg/sites.yaml", "line 1, column 17 (byte 16)", "b'\\xe9\\n'", "expected UTF-8 text"),)),
    C("utf16", "a file saved as UTF-16 (Windows Notepad 'Unicode')",
      raw(R, "risks: []\n".encode("utf-16")), VALIDATE,
      (("reg/risks.yaml", "got 'UTF-16 text'", "expected UTF-8 text"),)),
    C("file-too-large", "a file over the size limit (lowered to 4000 bytes for the test)",
      steps(lambda ctx: ctx.monkeypatch.setattr(io, "MAX_FILE_BYTES", 4000),
            raw(R, "# " + "x" * 5000 + "\n")), VALIDATE,
      (("reg/risks.yaml", "got '5003 bytes'", "expected a file of at most 4000 bytes"),)),
    C("empty-file", "an empty risks.yaml",
      raw(R, ""), VALIDATE,
      (("reg/risks.yaml", "risks: got None", "expected a value (list of entries)"),)),
    C("only-comments", "a risks.yaml with only comments",
      raw(R, "# risks to be added\n# after the workshop\n"), VALIDATE,
      (("reg/risks.yaml", "risks: got None", "expected a value (list of entries)"),)),
    C("empty-risk-list", "`risks: []`",
      raw(R, "risks: []\n"), VALIDATE,
      (("reg/risks.yaml", "risks: got []", "expected a list of at least 1 item(s)"),)),
    C("empty-site-list", "`sites: []`",
      edit(S, "sites", []), VALIDATE,
      (("reg/sites.yaml", "sites: got []", "expected a list of at least 1 item(s)"),)),
    C("top-level-list", "a list where the file's mapping is expected",
      raw(R, "- R1\n- R2\n"), VALIDATE,
      (("reg/risks.yaml", "got ['R1', 'R2']", "expected a mapping with keys risks"),)),
    C("null-entry", "an empty entry (`- `) in the list of risks",
      raw(R, "risks:\n  -\n"), VALIDATE,
      (("reg/risks.yaml", "entry #1", "got None", "expected a mapping with keys id, title"),)),
    C("empty-folder", "an empty folder as the register",
      after(lambda reg: Path("empty").mkdir()), ("validate", "--register", "empty"),
      (("empty/register.yaml", "got None", "expected this file (it is required)"),
       ("empty/sites.yaml", "got None", "expected this file (it is required)"),
       ("empty/risks.yaml", "got None", "expected this file (it is required)"))),
    C("missing-required-file", "risks.yaml missing",
      after(lambda reg: (reg / R).unlink()), VALIDATE,
      (("reg/risks.yaml", "got None", "expected this file (it is required)"),)),
    C("misnamed-file", "controls.yaml saved as control.yaml",
      after(lambda reg: (reg / K).rename(reg / "control.yaml")), VALIDATE,
      (("reg/control.yaml", "got 'control.yaml'", "one of the register files",
        "(did you mean 'controls.yaml'?)"),)),
    C("directory-for-file", "a folder named risks.yaml",
      after(folder_file), VALIDATE,
      (("reg/risks.yaml", "got 'reg/risks.yaml'", "expected a file, but this is a directory"),)),
    C("fifo-for-file", "a named pipe as risks.yaml (reading it would block forever)",
      after(fifo), VALIDATE,
      (("reg/risks.yaml", "got 'reg/risks.yaml'", "expected a regular file"),),
      marks=(pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes"),)),
    C("file-for-folder", "a file given as the register folder",
      NOTHING, ("validate", "--register", "somefile.txt"),
      (("somefile.txt", "got 'somefile.txt'", "expected a register folder, but this is a file"),)),
    C("missing-folder", "a register folder that does not exist",
      NOTHING, ("validate", "--register", "no/such/register"),
      (("no/such/register", "got 'no/such/register'", "expected an existing register folder"),)),
    C("misspelt-shipped-register", "a shipped register's name misspelt",
      NOTHING, ("validate", "--register", "kuaishou-2024"),
      (("kuaishou-2024", "expected an existing register folder",
        "(did you mean the shipped register 'kuaishou-2023'?)"),)),
    # ---- types, missing and unknown fields
    C("wrong-type", "text where a number is expected",
      edit(S, "sites.0.replacement_value", "a lot"), VALIDATE,
      (("reg/sites.yaml", ": a: ", "replacement_value", "got 'a lot'", "expected a finite number >= 0"),)),
    C("boolean-for-number", "`true` where a rate is expected",
      edit(S, "sites.1.hazards.flood", True), VALIDATE,
      (("reg/sites.yaml", ": b: ", "hazards.flood", "got True", "expected a finite number >= 0"),)),
    C("fraction-for-integer", "3.5 where a 1-5 rating is expected",
      edit(R, "risks.0.rating.likelihood", 3.5), VALIDATE,
      (("reg/risks.yaml", ": R1: ", "rating.likelihood", "got 3.5", "expected an integer >= 1 and <= 5"),)),
    C("yaml-no-is-false", "`owner: no` (YAML reads it as false)",
      replace_text(R, "owner: Ops", "owner: no"),
      VALIDATE,
      (("reg/risks.yaml", ": R1: ", "owner", "got False", "expected a non-empty string"),)),
    C("missing-field", "a required field left out",
      drop(R, "risks.0.title"), VALIDATE,
      (("reg/risks.yaml", ": R1: ", "title", "got None", "expected a value (string)"),)),
    C("unknown-field", "an optional field misspelt (`efect`)",
      rename(K, "controls.0.effect", "efect"), VALIDATE,
      (("reg/controls.yaml", ": C1: ", "efect", "got 'efect'", "no such field",
        "(did you mean 'effect'?)"),)),
    C("misspelt-required-field", "a required field misspelt: unknown, and the real one missing",
      rename(S, "sites.0.replacement_value", "replacment_value"), VALIDATE,
      (("reg/sites.yaml", ": a: ", "replacment_value", "no such field",
        "(did you mean 'replacement_value'?)"),
       ("reg/sites.yaml", ": a: ", "replacement_value", "got None", "expected a value"))),
    C("unknown-choice", "a value not among the allowed ones",
      edit(S, "sites.0.kind", "leased"), VALIDATE,
      (("reg/sites.yaml", ": a: ", "kind", "got 'leased'", "expected one of self_built_dc",
        "(did you mean 'leased_dc'?)"),)),
    C("unknown-model-type", "a model type misspelt",
      edit(R, "risks.0.models.0.type", "site_evnt"), VALIDATE,
      (("reg/risks.yaml", ": R1: ", "models[0].type", "got 'site_evnt'",
        "(did you mean 'site_event'?)"),)),
    C("bad-id", "an id with a space",
      edit(R, "risks.0.id", "R 1"), VALIDATE,
      (("reg/risks.yaml", ": R 1: ", "id", "got 'R 1'", ID_RULE),)),
    C("bad-selector", "a number where a site selector is expected",
      edit(R, "risks.0.sites", 5), VALIDATE,
      (("reg/risks.yaml", ": R1: ", "sites", "got 5", "expected `all`, a list of site ids"),)),
    C("quantity-without-value", "`{value, source}` with the value left out",
      edit(S, "sites.0.replacement_value", {"source": "doc: p. 1"}), VALIDATE,
      (("reg/sites.yaml", ": a: ", "replacement_value.value", "got None",
        "expected a value: a finite number >= 0"),)),
    C("bad-source", "a source that is neither a document reference nor an assumption",
      edit(R, "risks.0.models.0.damage.source", "bogus"), VALIDATE,
      (("reg/risks.yaml", ": R1: ", "models[0].damage.source", "got 'bogus'",
        '"<document-id>: <page or table>" or "assumption: <basis>"'),)),
    C("undeclared-document", "a source citing a document register.yaml does not declare",
      edit(R, "risks.0.models.0.damage.source", "dco: p. 1"), VALIDATE,
      (("reg/risks.yaml", ": R1: ", "models[0].damage.source", "got 'dco: p. 1'",
        "a document of register.yaml (doc)", "(did you mean 'doc'?)"),)),
    # ---- ids and references
    C("duplicate-id", "two risks with the same id",
      edit(R, "risks.1.id", "R1"), VALIDATE,
      (("reg/risks.yaml", ": R1: ", "id", "got 'R1'", "expected a risk id not used before in the file"),)),
    C("duplicate-site-id", "two sites with the same id",
      edit(S, "sites.1.id", "a"), VALIDATE,
      (("reg/sites.yaml", ": a: ", "id", "got 'a'", "expected a site id not used before in the file"),)),
    C("dangling-control", "a risk naming a control that does not exist",
      edit(R, "risks.0.controls.2", "C11"), VALIDATE,
      (("reg/risks.yaml", ": R1: ", "controls", "got 'C11'", "expected the id of a control",
        "(did you mean 'C1'?)"),)),
    C("dangling-region", "a site in a region that does not exist",
      edit(S, "sites.1.region", "nort"), VALIDATE,
      (("reg/sites.yaml", ": b: ", "region", "got 'nort'", "expected the id of a region (north, south)",
        "(did you mean 'north'?)"),)),
    C("dangling-site", "a risk naming a site that does not exist (one line, not two)",
      edit(R, "risks.0.sites", ["zz"]), VALIDATE,
      (("reg/risks.yaml", ": R1: ", "sites", "got 'zz'", "expected the id of a site (a, b, c)"),)),
    C("dangling-metric", "a carbon model naming a metric that does not exist",
      edit(R, "risks.2.models.1.emissions", ["scope9"]), VALIDATE,
      (("reg/risks.yaml", ": R3: ", "models[1].emissions", "got 'scope9'", "expected the id of a metric",
        "(did you mean 'scope1'?)"),)),
    C("dangling-target-metric", "a target tracking a metric that does not exist",
      edit(G, "targets.0.metric", "scope2"), VALIDATE,
      (("reg/metrics.yaml", ": T1: ", "metric", "got 'scope2'", "expected the id of a metric",
        "(did you mean 'scope1'?)"),)),
    C("unknown-hazard", "a model for a hazard no site or region has a rate for",
      edit(R, "risks.0.models.0.hazard", "flod"), VALIDATE,
      (("reg/risks.yaml", ": R1: ", "models[0].hazard", "got 'flod'", "flood, storm",
        "(did you mean 'flood'?)"),)),
    C("no-controls-declared", "controls.yaml with `controls: []` while risks name controls",
      edit(K, "controls", []), VALIDATE,
      tuple(("reg/risks.yaml", f": {r}: ", "controls", f"got '{c}'", "the id of a control (none declared)")
            for r, c in (("R1", "C1"), ("R1", "C2"), ("R1", "C3"), ("R2", "C4"), ("R3", "C5")))),
    # ---- numbers
    C("p5-above-p95", "an interval with p5 > p95",
      edit(R, "risks.0.models.0.damage.p5", 0.5), VALIDATE,
      (("reg/risks.yaml", ": R1: ", "models[0].damage.p95", "got 0.2", "expected p95 > p5 (0.5)"),)),
    C("p5-equals-p95", "an interval with p5 = p95",
      edit(R, "risks.0.models.0.downtime_days.p5", 5.0), VALIDATE,
      (("reg/risks.yaml", ": R1: ", "models[0].downtime_days.p95", "got 5.0", "expected p95 > p5 (5)"),)),
    C("p5-zero", "an interval starting at 0 (a lognormal needs p5 > 0)",
      edit(R, "risks.2.models.0.severity.p5", 0), VALIDATE,
      (("reg/risks.yaml", ": R3: ", "models[0].severity.p5", "got 0", "expected a finite number > 0"),)),
    C("negative-rate", "a negative event rate",
      edit(R, "risks.2.models.0.rate", -0.1), VALIDATE,
      (("reg/risks.yaml", ": R3: ", "models[0].rate", "got -0.1", "expected a finite number >= 0"),)),
    C("negative-money", "a negative replacement value (with its source)",
      edit(S, "sites.0.replacement_value.value", -1000.0), VALIDATE,
      (("reg/sites.yaml", ": a: ", "replacement_value", "got -1000.0", "expected a finite number >= 0"),)),
    C("fraction-above-one", "a control effect of 1.5 (150 %)",
      edit(K, "controls.0.effect.frequency.value", 1.5), VALIDATE,
      (("reg/controls.yaml", ": C1: ", "effect.frequency", "got 1.5",
        "expected a finite number >= 0 and <= 1"),)),
    C("fraction-below-zero", "a negative footprint",
      edit(S, "regions.0.common_events.0.footprint.value", -0.2), VALIDATE,
      (("reg/sites.yaml", ": north: ", "common_events[0].footprint", "got -0.2",
        "expected a finite number >= 0 and <= 1"),)),
    C("percent-for-fraction", "a damage fraction written as a percentage (30 for 0.3)",
      edit(R, "risks.0.models.0.damage.p95", 30), VALIDATE,
      (("reg/risks.yaml", ": R1: ", "models[0].damage.p95", "got 30",
        "expected a finite number > 0 and <= 1"),)),
    C("share-low-above-high", "a uniform share with low > high",
      edit(R, "risks.2.models.1.exposed_share.low", 0.5), VALIDATE,
      (("reg/risks.yaml", ": R3: ", "models[1].exposed_share.high", "got 0.3",
        "expected high >= low (0.5)"),)),
    C("nan", "`.nan` as a rate",
      edit(S, "sites.1.hazards.flood.value", float("nan")), VALIDATE,
      (("reg/sites.yaml", ": b: ", "hazards.flood", "got nan", "finite, |x| <= 1e+15"),)),
    C("infinity", "`.inf` as a value",
      edit(S, "sites.2.interruption_cost_per_day.value", float("inf")), VALIDATE,
      (("reg/sites.yaml", ": c: ", "interruption_cost_per_day", "got inf", "finite, |x| <= 1e+15"),)),
    C("minus-infinity", "`-.inf` as a target value",
      edit(G, "targets.0.target.value", float("-inf")), VALIDATE,
      (("reg/metrics.yaml", ": T1: ", "target.value", "got -inf", "finite, |x| <= 1e+15"),)),
    C("absurd-magnitude", "1e16 as a replacement value (over 1e15: a typo)",
      edit(S, "sites.0.replacement_value.value", 1e16), VALIDATE,
      (("reg/sites.yaml", ": a: ", "replacement_value", "got 1e+16", "finite, |x| <= 1e+15"),)),
    C("huge-integer", "an integer of 400 digits (too large even for a float)",
      edit(S, "sites.0.replacement_value.value", 10**400), VALIDATE,
      (("reg/sites.yaml", ": a: ", "replacement_value", "got 1000000", "finite, |x| <= 1e+15"),)),
    C("latitude-out-of-range", "a latitude of 200",
      edit(S, "sites.0.location", {"lat": 200, "lon": 116.4}), VALIDATE,
      (("reg/sites.yaml", ": a: ", "location.lat", "got 200", "expected a finite number >= -90 and <= 90"),)),
    # ---- dates
    C("date-wrong-form", "a date written 31/12/2020",
      edit(M, "as_of", "31/12/2020"), VALIDATE,
      (("reg/register.yaml", "as_of", "got '31/12/2020'", "expected a date YYYY-MM-DD"),)),
    C("date-no-such-day", "30 February, unquoted (YAML reads it as a date)",
      replace_text(M, "as_of: '2020-12-31'", "as_of: 2020-02-30"), VALIDATE,
      (("reg/register.yaml", "as_of", "got '2020-02-30'", "a date YYYY-MM-DD that exists",
        "day is out of range for month"),)),
    C("date-as-number", "a date written 20201231",
      edit(K, "controls.0.last_tested", 20200601), VALIDATE,
      (("reg/controls.yaml", ": C1: ", "last_tested", "got 20200601", "expected a date YYYY-MM-DD"),)),
    C("period-reversed", "a reporting period ending before it starts",
      edit(M, "reporting_period.end", "2019-12-31"), VALIDATE,
      (("reg/register.yaml", "reporting_period.end", "got '2019-12-31'",
        "expected a date on or after start (2020-01-01)"),)),
    # ---- consistency rules
    C("rto-longer-than-mtpd", "an RTO longer than the MTPD",
      edit(S, "sites.0.rto_days.value", 5.0), VALIDATE,
      (("reg/sites.yaml", ": a: ", "rto_days", "got 5.0", "an RTO no longer than the MTPD (3 days)"),)),
    C("effective-before-planned", "a control effective before the year it was planned",
      edit(K, "controls.2.planned_on", "2041-05-01"), VALIDATE,
      (("reg/controls.yaml", ": C3: ", "effective_year", "got 2040",
        "a year on or after the year it was planned (planned_on 2041-05-01)"),)),
    C("planned-without-year", "a planned control with no effective_year",
      drop(K, "controls.2.effective_year"), VALIDATE,
      (("reg/controls.yaml", ": C3: ", "effective_year", "got None",
        "expected the year a planned control takes effect"),)),
    C("retired-before-effective", "a control retired before it took effect",
      steps(edit(K, "controls.0.status", "retired"), edit(K, "controls.0.effective_year", 2030),
            edit(K, "controls.0.retired_year", 2025)), VALIDATE,
      (("reg/controls.yaml", ": C1: ", "retired_year", "got 2025",
        "expected a year on or after effective_year (2030)"),)),
    C("transfer-without-limit", "insurance (a transfer control) with no limit",
      drop(K, "controls.2.effect.limit"), VALIDATE,
      (("reg/controls.yaml", ": C3: ", "effect.limit", "got None",
        "a limit per event for a transfer control"),)),
    C("horizons-out-of-order", "a medium term after the long term",
      edit(M, "horizons.medium", 2060), VALIDATE,
      (("reg/register.yaml", "horizons", "'medium': 2060", "short <= medium <= long"),)),
    C("ifrs-type-mismatch", "a physical risk typed as a transition risk",
      edit(R, "risks.0.ifrs_s2_type", "transition"), VALIDATE,
      (("reg/risks.yaml", ": R1: ", "ifrs_s2_type", "got 'transition'",
        "expected physical for category physical_acute"),)),
    C("certified-without-expiry", "an ISO 22301 certificate with no expiry date",
      edit(S, "sites.0.iso22301.valid_until", None), VALIDATE,
      (("reg/sites.yaml", ": a: ", "iso22301.valid_until", "got None", "the certificate's expiry date"),)),
    C("iso-status-contradicts-certified", "an ISO 22301 status that contradicts `certified`",
      edit(S, "sites.0.iso22301.status", "unknown"), VALIDATE,
      (("reg/sites.yaml", ": a: ", "iso22301.certified", "got True",
        "expected false for status unknown (or leave certified out)"),)),
    C("bia-rpo-longer-than-mtpd", "a BIA activity whose RPO is longer than its MTPD",
      with_bia(rpo_hours=96.0), assess(),
      (("reg/bia.yaml", ": streaming: ", "rpo_hours", "got 96.0",
        "expected an RPO no longer than the MTPD (3 days = 72 hours)"),)),
    C("bia-rto-longer-than-mtpd", "a BIA activity whose RTO is longer than its MTPD",
      with_bia(rto_days=5.0), assess(),
      (("reg/bia.yaml", ": streaming: ", "rto_days", "got 5.0",
        "expected an RTO no longer than the MTPD (3 days)"),)),
    C("bia-unknown-site", "a BIA activity depending on a site the register does not declare",
      with_bia(depends_on={"sites": ["a", "zz"]}), assess(),
      (("reg/bia.yaml", ": streaming: ", "depends_on.sites", "got 'zz'",
        "expected the id of a site (a, b, c)"),)),
    C("bia-unknown-activity", "a BIA activity depending on an activity that is not in the BIA",
      with_bia(depends_on={"activities": ["billing"]}), assess(),
      (("reg/bia.yaml", ": streaming: ", "depends_on.activities", "got 'billing'",
        "expected the id of a BIA activity (streaming)"),)),
    C("missing-electricity-price", "a cooling model with no electricity price",
      drop(M, "parameters.electricity_price"), VALIDATE,
      (("reg/register.yaml", "parameters.electricity_price", "got None",
        "an electricity price (needed by R2 models[0]: cooling_energy)"),)),
    C("negative-wue", "a site with a negative water usage effectiveness (WUE)",
      edit(S, "sites.0.wue", -0.42), VALIDATE,
      (("reg/sites.yaml", ": a: ", "wue", "got -0.42", "expected a finite number >= 0"),)),
    C("tariff-unknown-region", "a regional electricity tariff for a region the register does not declare",
      edit(M, "parameters.electricity_price_by_region", {"west": 500}), VALIDATE,
      (("reg/register.yaml", "parameters.electricity_price_by_region", "got 'west'",
        "expected the id of a region (north, south)"),)),
    C("hours-above-set-point-over-a-year", "more hours above the economiser set point than a year has",
      edit(S, "sites.0.free_cooling", {"hours_above_set_point": 9000, "temperature_sd_c": 11.6}), VALIDATE,
      (("reg/sites.yaml", ": a: ", "free_cooling.hours_above_set_point", "got 9000", "<= 8760"),)),
    C("currency-code", "a currency that is not an ISO 4217 code",
      edit(M, "currency", "euro"), VALIDATE,
      (("reg/register.yaml", "currency", "got 'euro'", "an ISO 4217 code"),)),
    C("format-version", "a format version this tool does not know",
      edit(M, "format_version", 3), VALIDATE,
      (("reg/register.yaml", "format_version", "got 3", "expected a format this climaterisk reads (1 to 2)",
        "upgrade climaterisk"),)),
    # ---- scenarios and horizons
    C("unknown-scenario", "a scenario name misspelt",
      NOTHING, assess(scenario_file="rcp4.5"),
      (("scenario: got 'rcp4.5'", "expected a shipped scenario (rcp26, rcp45, rcp85)",
        "(did you mean 'rcp45'?)"),)),
    C("empty-scenario-name", "`--scenario ''`",
      NOTHING, assess(scenario_file=""),
      (("scenario: got ''", "expected a scenario id"),)),
    C("missing-scenario-file", "a scenario file that does not exist",
      NOTHING, assess(scenario_file="rcp45.yml"),
      (("rcp45.yml", "got 'rcp45.yml'", "expected an existing file"),)),
    C("scenario-is-folder", "a folder given as the scenario",
      after(lambda reg: Path("scenarios").mkdir()), assess(scenario_file="scenarios"),
      (("scenarios", "got 'scenarios'", "expected a file, but this is a directory"),)),
    C("horizon-after-scenario", "a horizon after the scenario's last year",
      NOTHING, assess("--horizon", "2100"),
      (("scenario.yaml", "horizon", "got 2100", "expected a year from 2020 to 2060"),)),
    C("horizon-before-scenario", "a horizon before the scenario's first year",
      NOTHING, assess("--horizon", "1990"),
      (("scenario.yaml", "horizon", "got 1990", "expected a year from 2020 to 2060"),)),
    C("scenario-malformed-yaml", "a scenario file that is not valid YAML",
      after(lambda reg: Path("bad.yaml").write_text("id: [\n", encoding="utf-8")),
      assess(scenario_file="bad.yaml"),
      (("bad.yaml", "line 2, column 1", "expected valid YAML"),)),
    C("scenario-unknown-field", "a scenario field misspelt",
      scenario(lambda d: d.__setitem__("nmae", d.pop("name"))), assess(scenario_file="bad.yaml"),
      (("bad.yaml", "nmae", "no such field", "(did you mean 'name'?)"),
       ("bad.yaml", "name", "got None", "expected a value (string)"))),
    C("scenario-one-year", "a driver given for one year only",
      scenario(lambda d: d["drivers"]["policy_stringency"].__setitem__("values", {2020: 1.0})),
      assess(scenario_file="bad.yaml"),
      (("bad.yaml", "drivers.policy_stringency.values", "got {2020: 1.0}",
        "values for at least two years"),)),
    C("scenario-no-baseline", "a driver whose years miss the baseline year",
      scenario(lambda d: d["drivers"]["policy_stringency"].__setitem__("values", {2030: 1.0, 2040: 2.0})),
      assess(scenario_file="bad.yaml"),
      (("bad.yaml", "drivers.policy_stringency.values", "got [2030, 2040]",
        "years that include the baseline year 2020"),)),
    C("scenario-negative-multiplier", "a negative hazard multiplier",
      scenario(lambda d: d["hazards"]["flood"]["frequency"]["values"].__setitem__(2030, -1.0)),
      assess(scenario_file="bad.yaml"),
      (("bad.yaml", "hazards.flood.frequency.values", "2030: -1.0", "values >= 0"),)),
    C("scenario-nan", "`.nan` in a scenario series",
      scenario(lambda d: d["drivers"]["policy_stringency"]["values"].__setitem__(2050, float("nan"))),
      assess(scenario_file="bad.yaml"),
      (("bad.yaml", "drivers.policy_stringency.values.2050", "got nan", "finite, |x| <= 1e+15"),)),
    C("scenario-no-series", "a scenario with no drivers and no hazards",
      scenario(lambda d: d.update(drivers={}, hazards={})), assess(scenario_file="bad.yaml"),
      (("bad.yaml", "drivers", "got {}", "at least one driver or hazard series"),)),
    C("scenario-missing-driver", "a scenario without a driver the register uses",
      scenario(lambda d: d["drivers"].pop("local_warming_c")), assess(scenario_file="bad.yaml"),
      (("bad.yaml", "drivers: local_warming_c", "a driver 'local_warming_c', which R2 models[0] needs",
        "gives: carbon_price_usd_t, policy_stringency"),)),
    C("scenario-zero-baseline", "a ratio driver that is 0 in the baseline year",
      scenario(lambda d: d["drivers"]["policy_stringency"]["values"].__setitem__(2020, 0.0)),
      assess(scenario_file="bad.yaml"),
      (("bad.yaml", "policy_stringency", "values.2020", "got 0.0", "a non-zero baseline value"),)),
    C("validate-bad-scenario", "`validate --scenario` with a broken scenario file",
      scenario(lambda d: d.__setitem__("baseline_year", "2020ish")),
      ("validate", "--register", "reg", "--scenario", "bad.yaml"),
      (("bad.yaml", "baseline_year", "got '2020ish'", "expected an integer >= 1900 and <= 2100"),)),
    # ---- ghg.yaml (GHG accounting from activity data)
    C("ghg-unknown-factor", "an activity naming an emission factor the library does not have",
      with_ghg(lambda d: d["activities"][0].update(factor="cn-grid-north-china-2023")), GHG_CMD,
      (("reg/ghg.yaml", ": elec-a: factor", "got 'cn-grid-north-china-2023'", "an emission-factor id",
        "did you mean 'cn-grid-north_china-2023'?"),)),
    C("ghg-factor-without-source", "a register's own emission factor without a source",
      with_ghg(lambda d: d.update(factors=[{"id": "my-grid", "value": 0.6, "unit": "t CO2/MWh",
                                            "year": 2020, "applies_to": "electricity"}])), GHG_CMD,
      (("reg/ghg.yaml", ": my-grid: source", "got None", "a value (string)"),)),
    C("ghg-activity-wrong-unit", "electricity activity data in kWh instead of MWh",
      with_ghg(lambda d: d["activities"][0].update(unit="kWh")), GHG_CMD,
      (("reg/ghg.yaml", ": elec-a: unit", "got 'kWh'", "MWh for electricity activity data"),)),
    C("ghg-instrument-exceeds-electricity", "a green-power instrument larger than the electricity it covers",
      with_ghg(lambda d: d["instruments"][0].update(quantity={"value": 80.0, "source": "assumption: test"})),
      GHG_CMD,
      (("reg/ghg.yaml", ": gp: quantity", "got 80.0",
        "at most the 50.00 MWh of electricity activity elec-a"),)),
    C("ghg-lever-before-base-year", "a pathway lever starting before the inventory's base year",
      with_ghg(lambda d: d.update(pathway={
          "growth": 0.0, "growth_source": "assumption: test",
          "levers": [{"id": "rn", "kind": "renewable_share", "activity": "elec-a", "start": 2015,
                      "value": 1.0, "source": "assumption: test"}]})), GHG_CMD,
      (("reg/ghg.yaml", ": pathway lever rn: start", "got 2015",
        "a year after the base (reporting) year 2020"),)),
    # ---- plan.yaml (transition plan)
    C("plan-milestone-before-base-year", "a transition-plan milestone dated before the plan's base year",
      raw("plan.yaml", 'base_year: 2023\nmilestones:\n  - {year: 2019, what: "old step", '
                       'source: "assumption: test"}\n'), VALIDATE,
      (("reg/plan.yaml", ": milestone 2019: year", "got 2019",
        "a year not before the plan's base year 2023"),)),
    # ---- the history store
    C("store-of-another-application", "`--store` naming another application's SQLite database",
      after(lambda reg: other_app_db("crm.sqlite")),
      ("snapshot", "--quarter", "2026Q3", "--register", "reg", "--scenario", "scenario.yaml",
       "--trials", "1000", "--store", "crm.sqlite"),
      (("crm.sqlite", "application_id", "got 'tables customers'",
        "belongs to another application and was left untouched"),)),
    C("store-not-a-database", "`--store` naming a file that is not a database",
      after(lambda reg: Path("notes.sqlite").write_text("minutes of the meeting\n" * 200)),
      ("history", "--store", "notes.sqlite"),
      (("notes.sqlite", "file is not a database", "expected a climaterisk history store"),)),
    C("store-row-trials-text", "a snapshot row edited by hand: `trials: \"two\"` in its manifest",
      after(lambda reg: edited_store(reg, manifest='{"trials": "two", "seed": 1}')),
      ("review", "--quarter", "2026Q3", "--register", "reg", "--store", "h.sqlite"),
      (("h.sqlite", "snapshot 2 (mini, 2026Q3 revision 1)", "manifest.trials", "got 'two'",
        "expected an integer"),)),
    C("store-row-invalid-json", "a snapshot row edited by hand: its results are not JSON",
      after(lambda reg: edited_store(reg, results='{"horizons": [')),
      ("history", "--store", "h.sqlite"),
      (("h.sqlite", "snapshot 2 (mini, 2026Q3 revision 1)", "results", "got '{\"horizons\": ['",
        "expected JSON text"),)),
    C("store-row-missing-key", "a snapshot row edited by hand: a horizon without its total",
      after(lambda reg: edited_store(reg, results='{"horizons": [{"year": 2050, "by_risk": []}]}')),
      ("history", "--store", "h.sqlite"),
      (("h.sqlite", "2026Q3 revision 1", "results.horizons.0.total", "got None", "expected an object"),)),
    C("quarter-full-width-digits", "a quarter written with full-width digits (`\uff12\uff10\uff12\uff16Q2`)",
      NOTHING,
      ("snapshot", "--quarter", "\uff12\uff10\uff12\uff16Q2", "--register", "reg", "--scenario",
       "scenario.yaml", "--store", "h.sqlite"),
      (("--quarter", "got '\uff12\uff10\uff12\uff16Q2'", "a quarter such as 2026Q3 (ASCII digits"),)),
    C("quarter-trailing-newline", "a quarter with a trailing newline",
      NOTHING,
      ("snapshot", "--quarter", "2026Q2\n", "--register", "reg", "--scenario", "scenario.yaml",
       "--store", "h.sqlite"),
      (("--quarter", "got '2026Q2\\n'", "nothing after"),)),
    C("review-across-registers", "reviewing a quarter whose snapshot was taken of another register "
      "folder with the same register id",
      after(two_folders_one_id),
      ("review", "--quarter", "2026Q4", "--register", "reg", "--store", "h.sqlite"),
      (("h.sqlite", ": mini: --quarter", "got '2026Q4'", "was taken from another register with the same id",
        "--across-registers"),)),
    # ---- hostile text: one policy for every register and scenario string (climaterisk.escape)
    C("text-nul", "a NUL character in a title (a YAML escape `\\0`)",
      edit(R, "risks.0.title", "Flood\x00"), VALIDATE,
      (("reg/risks.yaml", ": R1: title", "got 'Flood\\x00'", "text without control characters",
        "U+0000 NUL at character 6"),)),
    C("text-escape-sequence", "a terminal escape sequence (ESC) in a control's title",
      edit(K, "controls.0.title", "Site \x1b[2J selection"), VALIDATE,
      (("reg/controls.yaml", ": C1: title", "text without control characters",
        "U+001B ESC at character 6"),)),
    C("text-c1-control", "a C1 control character (U+009B, a terminal CSI) in a site name",
      edit(S, "sites.0.name", "Site \x9b31m a"), VALIDATE,
      (("reg/sites.yaml", ": a: name", "text without control characters", "U+009B"),)),
    C("text-lone-surrogate", "a lone surrogate (`\\ud800`, not Unicode text) in an impact narrative",
      edit(R, "risks.0.impact", "Water \ud800."), VALIDATE,
      (("reg/risks.yaml", ": R1: impact", "valid Unicode text", "lone surrogate U+D800 at character 7"),)),
    C("text-bidi-override", "a right-to-left override (U+202E) in a title, displaying text reversed",
      edit(R, "risks.1.title", "Heat \u202etaeh"), VALIDATE,
      (("reg/risks.yaml", ": R2: title", "text without bidirectional control characters",
        "U+202E RIGHT-TO-LEFT OVERRIDE at character 6"),)),
    C("text-bidi-isolate", "a bidi isolate (U+2066) in an owner",
      edit(R, "risks.0.owner", "Ops \u2066team"), VALIDATE,
      (("reg/risks.yaml", ": R1: owner", "bidirectional control characters", "U+2066"),)),
    C("text-line-break-in-title", "a line break in a title (a one-line field)",
      edit(K, "controls.1.title", "Drills\nand more"), VALIDATE,
      (("reg/controls.yaml", ": C2: title", "one line of text", "U+000A LF at character 7"),)),
    C("text-control-in-id", "an escape sequence in an entry id (shown escaped in the message)",
      edit(R, "risks.0.id", "R1\x1b[2J"), VALIDATE,
      (("reg/risks.yaml", ": R1\\x1b[2J: id", "text without control characters"),)),
    C("text-control-in-scenario", "an escape sequence in a scenario's name",
      scenario(lambda d: d.update(name="Test \x1b[31mred")), assess(scenario_file="bad.yaml"),
      (("bad.yaml", "name", "text without control characters", "U+001B ESC"),)),
    # ---- lists of ids and choices: each item once
    C("duplicate-control-on-risk", "the same control listed twice on a risk (it would count twice)",
      edit(R, "risks.0.controls", ["C1", "C2", "C1"]), VALIDATE,
      (("reg/risks.yaml", ": R1: controls[2]", "got 'C1'", "each item once (C1 is already item [0]"),)),
    C("duplicate-emission", "the same emission metric listed twice on a carbon model",
      edit(R, "risks.2.models.1.emissions", ["scope1", "scope1"]), VALIDATE,
      (("reg/risks.yaml", ": R3: models[1].emissions[1]", "got 'scope1'", "each item once"),)),
    C("duplicate-site-in-list", "the same site twice in a risk's list of sites",
      edit(R, "risks.0.sites", ["a", "b", "a"]), VALIDATE,
      (("reg/risks.yaml", ": R1: sites[2]", "got 'a'", "each item once"),)),
    C("duplicate-time-horizon", "the same time horizon twice",
      edit(R, "risks.1.time_horizons", ["long", "long"]), VALIDATE,
      (("reg/risks.yaml", ": R2: time_horizons[1]", "got 'long'", "each item once"),)),
    C("yaml-base60-number", "a YAML 1.1 base-60 number (`1:30:00`, which YAML 1.1 reads as 5400)",
      steps(edit(S, "sites.0.interruption_cost_per_day", 777777), replace_text(S, "777777", "1:30:00")),
      VALIDATE,
      (("reg/sites.yaml", ": a: interruption_cost_per_day", "got '1:30:00'", "written as a number",
        "base-60"),)),
    # ---- Excel import: text, cells and sizes
    C("xlsx-escape-character", "an ESC character in a workbook cell (Excel's `_x001B_`)",
      workbook(cell("risks", "title", "Flood _x001B_[2J risk")), IMPORT,
      (("book.xlsx", "risks row 2: title", "text without control characters", "U+001B ESC"),)),
    C("xlsx-time-cell", "a time of day in a workbook cell (a `datetime.time`)",
      workbook(cell("risks", "title", __import__("datetime").time(10, 30))), IMPORT,
      (("book.xlsx", "risks row 2: title", "got datetime.time(10, 30)", "not a time of day"),)),
    C("xlsx-very-hidden-sheet", "a very hidden sheet (shown only with the VBA editor)",
      workbook(lambda book: setattr(book["controls"], "sheet_state", "veryHidden")), IMPORT,
      (("book.xlsx", "sheet controls", "got 'veryHidden'", "a visible sheet", "imported unseen"),)),
    C("xlsx-hidden-sheet", "a hidden sheet",
      workbook(lambda book: setattr(book["controls"], "sheet_state", "hidden")), IMPORT,
      (("book.xlsx", "sheet controls", "got 'hidden'", "a visible sheet", "Unhide"),)),
    C("xlsx-last-row", "a workbook whose one extra cell sits in the sheet's last row (1,048,576)",
      workbook(lambda book: book.create_sheet("_notes").cell(row=1_048_576, column=1, value="x")), IMPORT,
      (("book.xlsx", "sheet _notes", "last row 1048576", "a sheet of at most 10,000 rows"),), seconds=5.0),
    C("xlsx-wide-sheet", "a workbook with a cell in column 2,000",
      workbook(lambda book: book["risks"].cell(row=3, column=2000, value="x")), IMPORT,
      (("book.xlsx", "sheet risks", "last column 2000", "a sheet of at most 1,000 columns"),)),
    C("xlsx-too-many-cells", "more cells than the limit (lowered to 300 for the test)",
      steps(lambda ctx: ctx.monkeypatch.setattr(xlsx_reader, "MAX_WORKBOOK_CELLS", 300),
            workbook()), IMPORT,
      (("book.xlsx", "got 'more than 300 cells'", "a workbook of at most 300 cells"),)),
    C("xlsx-yaml-alias-bomb", "a billion-laughs alias bomb in the YAML text sheet of ghg.yaml",
      workbook(text_sheet("ghg_yaml", BOMB)), IMPORT,
      (("book.xlsx", "sheet ghg_yaml", "line 1, column 6", "anchors (&name) are not allowed",
        "the YAML text of ghg.yaml"),), seconds=5.0),
    C("xlsx-xml-entities", "XML entity declarations in a sheet (a billion-laughs workbook)",
      after(xml_entities), IMPORT,
      (("book.xlsx", "sheet metadata", "got 'DTDForbidden'", "without XML DTD or entity declarations"),)),
    # ---- options
    C("trials-zero", "`--trials 0`",
      NOTHING, assess(trials="0"),
      (("Invalid value for '--trials'", "greater than or equal to 1"),)),
    C("trials-negative", "`--trials -5`",
      NOTHING, assess(trials="-5"),
      (("Invalid value for '--trials'", "greater than or equal to 1"),)),
    C("trials-not-a-number", "`--trials many`",
      NOTHING, assess(trials="many"),
      (("Invalid value for '--trials'", "valid integer"),)),
    C("chunk-size-zero", "`--chunk-size 0`",
      NOTHING, assess("--chunk-size", "0"),
      (("Invalid value for '--chunk-size'", "greater than or equal to 1"),)),
    C("unknown-format", "`--format xml`",
      NOTHING, assess("--format", "xml"),
      (("Invalid value for '--format'", "'xml' is not one of"),)),
    C("seed-negative", "`--seed -1`",
      NOTHING, assess("--seed", "-1"),
      (("seed", "got -1", ">= 0"),)),
    # ---- run sizes: computed from the compiled register before any allocation (analysis.bounds)
    C("rate-billion-a-year", "a site's hazard rate of a billion events a year (memory and time no run has)",
      edit(S, "sites.0.hazards.flood.value", 1e9), assess(),
      (("reg/sites.yaml", ": a: hazards.flood", "got 1000000000.0",
        "at most 1,048,576 expected events per simulated year", "gives 1.5e+09 events a year"),),
      seconds=10.0),
    C("entity-rate-billion-a-year", "a company-level event rate of a billion a year",
      edit(R, "risks.2.models.0.rate.value", 1e9), assess(),
      (("reg/risks.yaml", ": R3: rate", "got 1000000000.0", "at most 1,048,576 expected events"),),
      seconds=10.0),
    C("scenario-multiplier-billion", "a scenario frequency multiplier of a billion",
      scenario(lambda d: d["hazards"]["flood"]["frequency"]["values"].__setitem__(2050, 1e9)),
      assess(scenario_file="bad.yaml"),
      (("bad.yaml", ": 2050: hazards.flood.frequency", "got 1000000000.0",
        "a multiplier keeping the register at most 1,048,576 expected events"),), seconds=10.0),
    C("trials-trillion", "`--trials 1000000000000` (terabytes of per-trial arrays)",
      NOTHING, assess(trials="1000000000000"),
      (("trials", "got 1000000000000", "a run within 8.0 GiB of memory",
        "MAX_RUN_BYTES", "TiB"),), seconds=10.0),
    C("run-too-many-events",
      "a rate of 100,000 a year at 100,000 trials: within memory, most of an hour of sampling",
      edit(R, "risks.2.models.0.rate.value", 1e5), assess(trials="100000"),
      (("trials", "got 100000", "at most 1e+10 expected sampled events", "MAX_RUN_EVENTS"),),
      seconds=10.0),
    C("sobol-trials-trillion", "`sensitivity --sobol 2 --sobol-trials 1000000000000` (2 cores: 2 threads)",
      lambda ctx: ctx.monkeypatch.setattr(os, "cpu_count", lambda: 2),
      ("sensitivity", "--register", "reg", "--scenario", "scenario.yaml", "--trials", "200",
       "--sobol", "2", "--sobol-trials", "1000000000000"),
      (("sobol-trials", "got 1000000000000", "a run within 8.0 GiB of memory", "TiB"),), seconds=10.0),
    C("fft-severity-overflow", "a severity range of 27 orders of magnitude with the exact method "
      "(its second moment overflows a float)",
      edit(R, "risks.2.models.0.severity", {"p5": 1e-12, "p95": 1e15}),
      ("assess", "--register", "reg", "--scenario", "scenario.yaml", "--method", "fft", "--out", "out.json"),
      (("reg/risks.yaml", ": R3: entity_event: p95 / p5", "got 1e+27", "a narrower range for method fft",
        "use method mc"),)),
    # ---- engine options
    C("dask-scheduler-not-an-address", "`--scheduler notaurl` (not a Dask address)",
      NOTHING, assess("--engine", "dask", "--scheduler", "notaurl"),
      (("scheduler", "got 'notaurl'", "a Dask scheduler address such as tcp://10.0.0.5:8786"),)),
    C("workers-too-many", "`--engine dask --workers 1000` (1,000 processes; the test machine has 2 cores)",
      lambda ctx: ctx.monkeypatch.setattr(os, "cpu_count", lambda: 2),
      assess("--engine", "dask", "--workers", "1000"),
      (("workers", "got 1000", "at most 8 (4 per core x 2 cores"),)),
    # ---- outputs: refused before any work
    C("output-under-a-file", "`--out` into a path whose folder is a regular file",
      NOTHING, assess(output="somefile.txt/out.json"),
      (("--out", "somefile.txt/out.json", "somefile.txt is a file"),)),
    C("output-missing-folder", "`--out` into a folder that does not exist",
      NOTHING, assess(output="missing/out.json"),
      (("--out", "missing/out.json", "folder missing does not exist"),)),
    C("output-named-pipe", "`--out` naming a named pipe (it would block, or be replaced by a file)",
      after(lambda reg: os.mkfifo("pipe")), assess(output="pipe"),
      (("--out", "got 'pipe'", "a regular file or a new file name, but this is a named pipe"),)),
    C("output-dev-null", "`--out /dev/null` (a device: never replaced by a file)",
      NOTHING, assess(output="/dev/null"),
      (("--out", "got '/dev/null'", "this is a character device"),)),
    C("out-folder-unwritable", "`--out` into a folder without write permission",
      steps(after(lambda reg: Path("locked").mkdir()), deny_write("locked")),
      assess(output="locked/out.json"),
      (("--out", "locked/out.json", "a folder you can write into, but permission is denied"),)),
    C("register-folder-unreadable", "a register folder without read permission",
      deny_read("reg"), VALIDATE,
      (("reg", "a register folder you can read (Permission denied)"),)),
    C("output-is-a-folder", "`--out` naming an existing folder",
      after(lambda reg: Path("results").mkdir()), assess(output="results"),
      (("--out", "results", "this is a folder"),)),
    # ---- financial effects, decisions and dates (issues 16, 17)
    C("line-item-unknown", "a model booked to a line item that does not exist",
      edit(R, "risks.2.models.0.line_item", "bogus"), VALIDATE,
      (("reg/risks.yaml", ": R3: models[0].line_item", "got 'bogus'", "one of operating_cost"),)),
    C("nature-on-an-event", "`nature: budgeted` on an event model (only recurring costs are planned "
      "spending)",
      edit(R, "risks.2.models.0.nature", "budgeted"), VALIDATE,
      (("reg/risks.yaml", ": R3: models[0].nature", "expected no such field"),)),
    C("treatment-decision-unknown", "a treatment decision other than mitigate, transfer, accept, avoid",
      edit(R, "risks.0.treatment", {"decision": "ignore"}), VALIDATE,
      (("reg/risks.yaml", ": R1: treatment.decision", "got 'ignore'", "one of mitigate, transfer"),)),
    C("treatment-review-before-decision", "a treatment's review date before the decision's date",
      edit(R, "risks.0.treatment", {"decision": "accept", "date": "2020-06-30", "review_date": "2020-01-31"}),
      VALIDATE,
      (("reg/risks.yaml", ": R1: treatment.review_date", "got '2020-01-31'",
        "on or after the decision's date 2020-06-30"),)),
    C("report-growth-below-minus-100", "`report --growth -150 --inflation nan` (rates in % a year)",
      NOTHING, ("report", "--register", "reg", "--scenario", "scenario.yaml", "--growth", "-150",
                "--inflation", "nan", "--out", "rep"),
      (("--growth", "got -150.0", "a rate in % a year above -100"),
       ("--inflation", "got nan", "a rate in % a year above -100"))),
    C("gaps-as-of-invalid", "`gaps --as-of 2026-13-01` (not a date, not a quarter)",
      NOTHING, ("gaps", "--register", "reg", "--as-of", "2026-13-01"),
      (("--as-of", "got '2026-13-01'", "a date YYYY-MM-DD or a quarter such as 2026Q4"),)),
]


# --------------------------------------------------------------------------- running a case


def prepare(case: Case, files: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """In the current folder: the register ``reg``, ``scenario.yaml``, ``somefile.txt``, then the
    case's changes."""
    write_scenario(Path("scenario.yaml"), scenario_dict())
    Path("somefile.txt").write_text("not a folder\n", encoding="utf-8")
    ctx = Ctx(files, monkeypatch)
    case.setup(ctx)
    reg = write_register(Path("reg"), ctx.files)
    for action in ctx.after:
        action(reg)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if not p.is_fifo()}


def error_lines(output: str) -> list[str]:
    """The problem lines: ``error: ...`` from climaterisk, ``Error: ...`` from option parsing."""
    return [line for line in output.splitlines() if line.lower().startswith("error:")]


def run(case: Case) -> tuple[object, float]:
    start = time.perf_counter()
    result = runner.invoke(app, list(case.args))
    return result, time.perf_counter() - start


def doc_cell(lines: list[str]) -> str:
    """The lines as code spans (literal text), one per line of the table cell."""
    def span(line: str) -> str:
        line = line.replace("|", "\\|")
        return f"`` {line} ``" if "`" in line else f"`{line}`"
    return "<br>".join(span(line) for line in lines)


def doc_rows() -> dict[str, str]:
    """Case id -> message cell of docs/bad-input.md."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)]
        if len(cells) == 7 and re.fullmatch(r"`[^`]+`", cells[1]):
            rows[cells[1].strip("`")] = cells[5]
    return rows


# --------------------------------------------------------------------------- tests


def test_the_catalogue_is_large_and_ids_are_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 45


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_bad_input_is_refused_cleanly(case: Case, tmp_path, monkeypatch, mini_files):
    monkeypatch.chdir(tmp_path)
    prepare(case, mini_files, monkeypatch)
    before = snapshot(tmp_path)
    result, seconds = run(case)
    out = result.output
    clean = result.exception is None or isinstance(result.exception, SystemExit)
    assert clean and "Traceback" not in out, f"{case.id}: {result.exception!r}\n{out}"
    assert result.exit_code == case.code, out
    lines = error_lines(out)
    assert len(lines) == len(case.errors), f"{case.id}: expected {len(case.errors)} line(s):\n{out}"
    for line, fragments in zip(lines, case.errors, strict=True):
        for fragment in fragments:
            assert fragment in line, f"{case.id}: {fragment!r} not in\n{line}"
    if case.code == 2 and not lines[0].startswith("Error:"):
        assert f"{len(lines)} problem(s); nothing was written." in out
    assert snapshot(tmp_path) == before, f"{case.id}: a file was written or changed"
    if case.seconds is not None:
        assert seconds < case.seconds, f"{case.id}: took {seconds:.2f} s"
    assert doc_rows().get(case.id) == doc_cell(lines), (
        f"docs/bad-input.md is stale for {case.id}: run `python -m tests.test_bad_inputs`"
    )


def test_the_document_lists_every_case():
    rows = doc_rows()
    assert sorted(rows) == sorted(case.id for case in CASES)


# --------------------------------------------------------------------------- text that is allowed, escaped


def _hostile(files: dict) -> dict:
    """Register text a Markdown viewer would render as HTML, with table pipes."""
    files["register.yaml"]["organisation"] = "<a href=javascript:alert(1)>Org</a> | co"
    files["risks.yaml"]["risks"][0]["title"] = "<script>alert(1)</script> | x"
    files["risks.yaml"]["risks"][0]["owner"] = "<b>Ops</b> | y"
    files["controls.yaml"]["controls"][0]["title"] = "<img src=x onerror=alert(1)> | y"
    files["controls.yaml"]["controls"][0]["owner"] = "<iframe src=x> | z"
    files["sites.yaml"]["sites"][0]["name"] = "<iframe src=x></iframe> | z"
    return files


def _tables_keep_their_columns(text: str) -> None:
    """In every Markdown table, each row has as many unescaped pipes as the header."""
    table: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            table.append(line)
            continue
        counts = {len(re.findall(r"(?<!\\)\|", row)) for row in table}
        assert len(counts) <= 1, "\n".join(table)
        table = []


@pytest.mark.parametrize("command", [
    ("assess", "--scenario", "scenario.yaml", "--trials", "1000"),
    ("controls", "--scenario", "scenario.yaml", "--trials", "1000"),
    ("coverage", "--scenario", "scenario.yaml", "--trials", "1000"),
    ("register", "show"),
    ("gaps",),
    ("review", "--against-register", "before", "--scenario", "scenario.yaml", "--trials", "1000"),
], ids=lambda c: " ".join(c[:2]) if c[0] == "register" else c[0])
def test_markdown_outputs_escape_register_text(command, tmp_path, monkeypatch, mini_files):
    """``--format markdown``: no tag a viewer would render, no pipe that adds a column."""
    monkeypatch.chdir(tmp_path)
    write_scenario(Path("scenario.yaml"), scenario_dict())
    write_register(Path("before"), copy.deepcopy(mini_files))
    write_register(Path("reg"), _hostile(mini_files))
    result = runner.invoke(app, [*command, "--register", "reg", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert not re.search(r"<(script|img|iframe|a |b>)", out, re.I), out
    assert "&lt;" in out or command[0] == "gaps"  # the gaps of this register quote no text
    _tables_keep_their_columns(out)


def test_csv_cells_that_would_run_as_formulas_are_neutralised(tmp_path, monkeypatch, mini_files):
    """``assess --format csv``: formula-like titles (also after whitespace or a quote) start
    with an apostrophe; other text is left as it is."""
    import csv

    monkeypatch.chdir(tmp_path)
    titles = ['=HYPERLINK("http://x","click")', " +1+2", '"@SUM(A1)']
    for risk, title in zip(mini_files["risks.yaml"]["risks"], titles, strict=True):
        risk["title"] = title
    write_scenario(Path("scenario.yaml"), scenario_dict())
    write_register(Path("reg"), mini_files)
    result = runner.invoke(app, ["assess", "--register", "reg", "--scenario", "scenario.yaml", "--trials",
                                 "1000", "--format", "csv", "--out", "out.csv"])
    assert result.exit_code == 0, result.output
    with open("out.csv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["level"] == "risk"]
    assert {r["title"] for r in rows} == {"'" + t for t in titles}


def test_a_horizon_given_twice_is_assessed_once(tmp_path, monkeypatch, mini_files):
    monkeypatch.chdir(tmp_path)
    write_scenario(Path("scenario.yaml"), scenario_dict())
    write_register(Path("reg"), mini_files)
    result = runner.invoke(app, ["assess", "--register", "reg", "--scenario", "scenario.yaml", "--trials",
                                 "1000", "--horizon", "2050", "--horizon", "2030", "--horizon", "2050",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [h["year"] for h in json.loads(result.stdout)["horizons"]] == [2050, 2030]
    assert "note: --horizon 2050 given more than once; each year is assessed once" in result.stderr


# --------------------------------------------------------------------------- the document


def _command(args: tuple[str, ...]) -> str:
    shown = " ".join(a if a and not any(c.isspace() for c in a) else repr(a) for a in args)
    return f"`climaterisk {shown}`"


def write_doc() -> None:
    """Run every case in a scratch folder and write docs/bad-input.md with what the user sees."""
    rows = []
    here = Path.cwd()
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
            os.chdir(tmp)
            try:
                if case.id == "fifo-for-file" and not hasattr(os, "mkfifo"):
                    continue
                prepare(case, copy.deepcopy(register_files()), mp)
                result, _ = run(case)
                lines = error_lines(result.output)
                if result.exception is not None and not isinstance(result.exception, SystemExit):
                    lines = [f"(today: a traceback, {type(result.exception).__name__}: "
                             f"{result.exception}; see the note below)"]
            finally:
                os.chdir(here)
        code = result.exit_code
        what = case.what.replace("|", "\\|")
        rows.append(f"| `{case.id}` | {what} | {_command(case.args)} | {code} | {doc_cell(lines)} |")
    text = DOC_HEAD + "\n".join(rows) + "\n" + DOC_TAIL
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC} ({len(rows)} cases)")


DOC_HEAD = """# Bad input: what the tool says

`climaterisk` refuses bad input before it computes anything: it exits with code **2** and prints
one line per problem, each naming the file, the entry (the id of the risk, site, control, ...),
the field, the value it found and what it expected. It never prints a traceback and never
writes a file when the input is bad. All problems in the register's files are reported at once;
rules that relate fields or files to each other (references, p5 < p95, RTO <= MTPD, ...) are
checked once every file reads correctly.

The table below is the catalogue kept by `tests/test_bad_inputs.py`: every row is a test, run on
a small register in a folder `reg/` with a scenario `scenario.yaml`. The message column is what
the command printed (the final "N problem(s); nothing was written." line is left out).
Regenerate it with `python -m tests.test_bad_inputs` after changing a message.

Exit codes: 0 success, 2 bad input, 1 an output that could not be written (the computation was
fine; the file was not written and an earlier file of that name is left as it was).

| case | what is wrong | command | exit | message |
|---|---|---|---|---|
"""

DOC_TAIL = """
## Notes

- Option errors (`--trials 0`, `--format xml`) are reported by the option parser, with its own
  `Error:` wording and a usage line.
- `--seed -1` ends today with a traceback (numpy refuses negative seeds); the test is marked as
  an expected failure until the command checks the seed.
- History store: a database that is not a climaterisk store (another application's SQLite file,
  a text file, a `climaterisk` PostgreSQL schema of another application) is refused and left
  untouched; a row edited by hand is named by store, snapshot, quarter and field; quarter labels
  are four ASCII digits, `Q`, 1-4 and nothing else (`tests/test_history.py` runs the faults that a
  catalogue row cannot: a read-only store, a failing disk, a reader during a write).
- Register text: every string of a register or scenario file (and of an imported workbook) passes
  one policy, `climaterisk.escape.text_problem`: no C0 or C1 control character, DEL or NUL (tab,
  line feed and CR LF are allowed in multi-line fields such as descriptions and impact narratives;
  titles, names, owners and the organisation are one line), no lone surrogate, and no
  bidirectional control (U+202A-202E, U+2066-2069, U+200E, U+200F, U+061C), which would make a
  reviewer read text in another order than it is stored. The message names the character and its
  position. An entry id or key that holds such a character is shown escaped (`R1\\x1b[2J`).
- Text that is allowed is escaped in every output: `report` and `appendix` in all their formats;
  `--format markdown` of `assess`, `controls`, `coverage`, `review`, `register show`, `gaps`,
  `history`, `ghg` and `sensitivity` with HTML entities for `& < >` and a backslash before Markdown
  specials and the table pipe; CSV and Excel cells that a spreadsheet could run as a formula
  (starting with `= + - @`, a tab or a carriage return, also after leading whitespace or quotes)
  are stored with a leading apostrophe (`assess --format csv`, `sensitivity --format csv`, the
  appendix, `export-xlsx`; `import-xlsx` removes exactly the apostrophe it added).
- Lists of ids and of choices (a risk's controls and sites, a carbon model's emissions, time
  horizons, ISO 22301 clauses, ...) hold each item once: a control listed twice would count twice.
  A year given twice with `--horizon` is assessed once (the years keep the order given), with a
  `note:` on standard error.
- YAML 1.1 reads `1:30:00` as the base-60 number 5400; climaterisk reads it as the text it looks
  like (as YAML 1.2 does), so a number field refuses it by name and a text field keeps it.
- Excel import: a workbook may have at most 20,000,000 bytes, 100,000,000 bytes once unzipped,
  10,000 rows and 1,000 columns a sheet (from the dimension the sheet declares, then counted as
  its XML streams, so a false dimension does not help) and 200,000 cells in all
  (`climaterisk.outputs.spreadsheet.layout`); these are checked before the workbook is read. XML
  with a DTD or entity declarations is refused, and openpyxl parses through `defusedxml`. A hidden
  or very hidden sheet is refused (its rows would be imported unseen), and so is a cell holding a
  time of day or a duration.
- Run sizes (`climaterisk.analysis.bounds`): before anything is sampled, every command that
  simulates (`assess`, `controls`, `coverage`, `report`, `appendix`, `snapshot`, `review`,
  `sensitivity`, `assess --uncertainty`) computes from the compiled register what the run
  implies and refuses it beyond: 1,048,576 expected events in one simulated year
  (`MAX_EVENTS_PER_YEAR`, the per-block bound of the draws; the message names the rate that adds
  most events, or the scenario multiplier when the register's own rates stay within it),
  1e10 expected events in the whole run (`MAX_RUN_EVENTS`, about 15 minutes on one core) and
  8 GiB of estimated memory (`MAX_RUN_BYTES`: per-trial arrays and the draws of a chunk per
  thread). The exact method (`--method fft`) refuses a severity or cost range whose second moment
  would overflow a float (`MAX_LOG_MOMENT`) and names the risk. The shipped register's default
  run needs about 135 MB and 0.8 million events; the largest benchmark 1.4e9 events.
- Engine options: `--workers` is at most 4 per core (`climaterisk.analysis.options.WORKERS_PER_CORE`;
  the catalogue fixes the machine at 2 cores); `--scheduler` must look like a Dask address
  (`[tcp|tls|ws|wss|ucx://]host:port`), and a well-formed address that cannot be reached ends
  after 10 s with `cannot reach the Dask scheduler` (exit 2).
- Graph exports (`climaterisk graph`): Mermaid labels write every character that Mermaid could read
  as syntax or HTML (`" < > & # [ ] ( ) { } |` and the backtick) as an entity code `#60;`, and node
  ids are ASCII and never merge two ids (`a-b` and `a_b`); DOT labels double backslashes and
  escape quotes; GraphML and JSON are written by their libraries' escaping
  (`tests/test_graph.py`).
- Size limit: an input file may have at most 5,000,000 bytes (`climaterisk.io.MAX_FILE_BYTES`;
  the test lowers it to 4,000). YAML anchors and aliases, merge keys, tags other than the
  standard ones, and nesting deeper than 64 levels are refused, so an alias bomb costs nothing.
"""


if __name__ == "__main__":
    write_doc()
