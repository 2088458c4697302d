"""The register as an Excel workbook and back (export-xlsx, import-xlsx), and init."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import functools
import io
import re
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from climaterisk import load_register
from climaterisk.cli import app
from climaterisk.errors import InputError
from climaterisk.escape import BIDI_CONTROLS
from climaterisk.io import read_yaml, shipped_dir
from climaterisk.outputs import spreadsheet
from climaterisk.register import schema
from tests.conftest import register_files, write_register

runner = CliRunner()
SHIPPED = shipped_dir("registers") / "kuaishou-2023"


@functools.cache
def shipped_xlsx() -> bytes:
    return spreadsheet.export_xlsx(SHIPPED)


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


# --------------------------------------------------------------------------- comparison


NOT_IN_WORKBOOK = ("ghg.yaml", "plan.yaml")
"""Register files the workbook carries as YAML text (a sheet each, no columns): the tests of
columns and of the tabular content leave them out; test_text_sheets_survive_a_round_trip checks
they come back unchanged."""


def register_content(reg) -> dict:  # type: ignore[no-untyped-def]
    """A Register as plain data, without its folder, file hashes and provenance file names (and
    without the files of NOT_IN_WORKBOOK)."""
    data = dataclasses.asdict(reg)
    for name in ("path", "file_hashes", "ghg", "plan"):
        data.pop(name)
    for row in data["provenance"]:
        row["file"] = Path(row["file"]).name
    data["provenance"] = tuple(r for r in data["provenance"] if r["file"] not in NOT_IN_WORKBOOK)
    return data


def _drop_empty(x):  # type: ignore[no-untyped-def]
    if isinstance(x, dict):
        return {k: _drop_empty(v) for k, v in x.items() if v is not None and v != [] and v != {}}
    if isinstance(x, list):
        return [_drop_empty(v) for v in x]
    return x


def validated_content(folder: Path) -> tuple[dict, list]:
    """Every file's validated content (all text, sources and numbers), and the provenance rows.
    An absent optional field and an empty list or null are the same."""
    out, provenance = {}, []
    for name, spec in schema.REGISTER_FILES.items():
        if (folder / name).exists() and name not in NOT_IN_WORKBOOK:
            at = schema.At(name, provenance=provenance)
            out[name] = _drop_empty(spec.check(read_yaml(folder / name) or {}, at))
            assert not at.problems
    rows = [(p.entry, p.field, p.value, p.unit, p.source) for p in provenance]
    return {k: v for k, v in out.items() if v}, rows


def round_trip(folder: Path, tmp: Path) -> Path:
    """Register folder -> workbook -> register folder."""
    book = tmp / "register.xlsx"
    book.write_bytes(shipped_xlsx() if folder == SHIPPED else spreadsheet.export_xlsx(folder))
    out = tmp / "back"
    spreadsheet.import_xlsx(book, out)
    return out


def assert_same_register(a: Path, b: Path) -> None:
    assert register_content(load_register(a)) == register_content(load_register(b))
    assert validated_content(a) == validated_content(b)


# --------------------------------------------------------------------------- layout


def test_every_field_of_the_format_has_a_column():
    fields = {
        path for name, spec in schema.REGISTER_FILES.items() for path, kind, *_ in schema.field_rows(spec)
        if name not in NOT_IN_WORKBOOK and " (" not in path and kind not in ("mapping", "list of entries")
    }
    assert fields <= spreadsheet.covered_paths()


def test_workbook_layout(tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(shipped_xlsx()))
    assert book.sheetnames == [*spreadsheet.SHEET_ORDER, "ghg_yaml", "plan_yaml"]  # YAML text sheets
    for ws in book.worksheets:
        assert ws.freeze_panes in ("B2", "C2"), ws.title
        assert all(ws.column_dimensions[c.column_letter].width >= 10 for c in ws[1])
    headers = {ws.title: [c.value for c in ws[1]] for ws in book.worksheets}
    assert "replacement_value [currency]" in headers["sites"]
    assert "replacement_value.source" in headers["sites"]
    assert "hazards.typhoon [events/yr]" in headers["sites"] and "hazards.typhoon.source" in headers["sites"]
    assert headers["risk_models"][:3] == ["risk", "position", "type"]
    assert "damage.p5 [fraction 0-1 of site replacement_value]" in headers["risk_models"]
    assert headers["metadata"][:3] == ["field", "value", "source"]
    fields = [r[0].value for r in book["metadata"].iter_rows(min_row=2)]
    assert "parameters.fx_usd" in fields and "horizons.long" in fields

    def lists(ws) -> dict[str, str]:  # type: ignore[no-untyped-def]
        heads = [c.value for c in ws[1]]
        return {heads[int(openpyxl.utils.column_index_from_string(str(dv.sqref).split(":")[0][0])) - 1]:
                dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}

    assert "physical_acute" in lists(book["risks"])["category"]
    assert "transfer" in lists(book["controls"])["type"]
    assert "planned" in lists(book["controls"])["status"]
    assert "leased_dc" in lists(book["sites"])["kind"]
    assert "site_event" in lists(book["risk_models"])["type"]
    risks = book["risks"]
    r1 = next(r for r in risks.iter_rows(min_row=2) if r[0].value == "R1")
    heads = [c.value for c in risks[1]]
    assert r1[heads.index("controls")].value == "C1; C2; C3; C18; C19"
    assert r1[heads.index("time_horizons")].value == "short; medium; long"
    assert r1[heads.index("sites")].value == "all"
    assert risks.cell(1, 1).comment is not None  # each header explains its column


def test_formula_like_text_is_neutralised_and_restored(tmp_path):
    files = register_files()
    tricky = ["=HYPERLINK(\"http://x\")", "+1", "-", "@SUM(A1)", " =spaced", "'quoted", "'=x", "''",
              '"@quoted', "literal _x000D_ text"]
    entries = [*files["risks.yaml"]["risks"], *files["opportunities.yaml"]["opportunities"],
               *files["controls.yaml"]["controls"], *files["metrics.yaml"]["targets"]]
    for entry, text in zip(entries, tricky, strict=False):
        entry["title"] = text
    files["risks.yaml"]["risks"][0]["impact"] = "\n".join([*tricky, "\tindented", "a\r\nb"])
    files["metrics.yaml"]["targets"][0]["unit"] = "-"
    files["register.yaml"]["organisation"] = " padded "
    folder = write_register(tmp_path / "reg", files)
    data = spreadsheet.export_xlsx(folder)
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert "'=HYPERLINK(\"http://x\")" in texts and "'+1" in texts and "'-" in texts
    assert "''quoted" in texts  # so that removing one apostrophe on import is exact
    assert "' =spaced" in texts and "'\"@quoted" in texts  # after leading whitespace or quotes too
    assert not [t for t in texts if t.startswith(spreadsheet.FORMULA_START)]
    out = round_trip(folder, tmp_path)
    reg = load_register(out)
    assert [x.title for x in (*reg.risks, *reg.opportunities, *reg.controls, *reg.targets)] == tricky
    assert reg.organisation == " padded " and reg.targets[0].unit == "-"
    assert_same_register(folder, out)


# --------------------------------------------------------------------------- round trip


def test_round_trip_of_the_shipped_register(tmp_path):
    out = round_trip(SHIPPED, tmp_path)
    assert_same_register(SHIPPED, out)
    text = "".join((out / n).read_text(encoding="utf-8") for n in schema.REGISTER_FILES
                   if (out / n).exists())  # an empty optional list (bia.yaml) is not written back
    assert not re.search(r"(^|\s)[&*]id\d+", text)  # plain YAML, no anchors or aliases


def test_text_sheets_survive_a_round_trip(tmp_path):
    """ghg.yaml and plan.yaml travel as YAML text and come back with the same validated content."""
    out = round_trip(SHIPPED, tmp_path)
    for name in NOT_IN_WORKBOOK:
        checked = []
        for folder in (SHIPPED, out):
            at = schema.At(name)
            checked.append(schema.REGISTER_FILES[name].check(read_yaml(folder / name), at))
            assert not at.problems, (name, at.problems)
        assert checked[0] == checked[1], name


def _variations() -> dict[str, dict]:
    base = register_files()
    out = {"mini": base}
    v = copy.deepcopy(base)  # every selector form, empty lists, nulls, dates as dates
    risks = v["risks.yaml"]["risks"]
    risks[0]["sites"] = ["a", "b"]
    risks[1]["sites"] = {"ids": ["c"]}
    risks[2]["controls"] = []
    risks[2]["sites"] = {"kind": ["office"], "region": ["north"], "ids": []}
    controls = v["controls.yaml"]["controls"]
    controls[1]["sites"] = []
    controls[2]["planned_on"] = dt.date(2020, 3, 1)
    controls[3]["iso22301_clauses"] = []
    controls[3]["last_tested"] = None
    controls[4]["components"] = ["entity_event", "annual_cost"]
    v["register.yaml"]["as_of"] = dt.date(2020, 12, 31)
    v["register.yaml"]["description"] = "  leading spaces\nand two lines  \n"
    v["register.yaml"]["disclosure"] = {
        "headcount_metric": "staff", "renewable_electricity_metrics": ["scope1"],
        "reported_checks": [{"metric": "scope1", "computed": "ghg_scope12"}],
        "climate_capex": {"value": 0.30000000000000004, "source": "doc: p. 9"},
    }
    v["register.yaml"]["iso22301"] = {"certification_cycle_years": 3, "renewal": "lapse",
                                      "renewal_assumption": "They lapse."}
    v["sites.yaml"]["sites"][0]["location"] = {"lat": -33.8688197, "lon": 151.2092955}
    v["sites.yaml"]["sites"][1]["iso22301"] = {"certified": False, "valid_until": None}
    v["sites.yaml"]["sites"][2]["pue"] = {"value": 1.2}
    v["metrics.yaml"]["targets"][0]["latest"] = {"year": 2021, "value": 1e-7}
    v["metrics.yaml"]["targets"][0]["direction"] = "at_most"
    v["sites.yaml"]["sites"][2]["iso22301"] = {"status": "lessor", "holder": "Colo Ltd", "scope": "Hall 1",
                                               "valid_until": dt.date(2022, 1, 31), "source": "doc: p. 2"}
    controls[0]["last_tested"] = {"value": dt.date(2020, 6, 1), "source": "assumption: drill log not seen"}
    controls[0]["last_incident_review"] = dt.date(2020, 9, 1)
    v["bia.yaml"] = {"activities": [  # a BIA: quantities with sources, nested lists of ids
        {"id": "play", "name": "Playback", "priority": 1, "mtpd_days": {"value": 2.0, "source": "doc: p. 5"},
         "rto_days": 0.5, "rpo_hours": 1.0, "mbco": "Reduced bit rate",
         "depends_on": {"sites": ["a", "b"], "activities": ["ads"]}},
        {"id": "ads", "name": "Ads", "mtpd_days": 3.0, "rto_days": 1.0, "rpo_hours": 4.0,
         "mbco": "Cached ads"},
    ]}
    out["forms"] = v
    v = copy.deepcopy(base)  # optional files left out, a site named "all"
    del v["opportunities.yaml"], v["controls.yaml"]
    for risk in v["risks.yaml"]["risks"]:
        risk.pop("controls")
    v["sites.yaml"]["sites"][2]["id"] = "all"
    v["risks.yaml"]["risks"][0]["sites"] = ["all"]
    v["metrics.yaml"].pop("targets")
    out["minimal"] = v
    return out


@pytest.mark.parametrize("name", list(_variations()))
def test_round_trip_of_generated_registers(tmp_path, name):
    folder = write_register(tmp_path / "reg", _variations()[name])
    assert_same_register(folder, round_trip(folder, tmp_path))


_TEXT = st.text(  # any text the register's text policy accepts in a one-line field
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=sorted(BIDI_CONTROLS)),
    min_size=1, max_size=30,
).filter(lambda s: s.strip() != "")


@settings(max_examples=5, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(title=_TEXT, impact=_TEXT, basis=_TEXT, owner=st.none() | _TEXT,
       value=st.floats(0, 1e12, allow_nan=False) | st.integers(0, 10**12),
       share=st.floats(0, 1, allow_nan=False))
def test_round_trip_of_any_text_and_number(tmp_path_factory, title, impact, basis, owner, value, share):
    tmp = tmp_path_factory.mktemp("rt")
    files = register_files()
    risk = files["risks.yaml"]["risks"][0]
    risk["title"], risk["impact"], risk["owner"] = title, impact, owner
    site = files["sites.yaml"]["sites"][0]
    site["replacement_value"] = {"value": value, "source": f"assumption: {basis.strip() or 'x'}"}
    site["renewable_share"] = share
    folder = write_register(tmp / "reg", files)
    assert_same_register(folder, round_trip(folder, tmp))


# --------------------------------------------------------------------------- import


def _edit(book: openpyxl.Workbook, sheet: str, key: str, header: str, value, key_col: str = "id") -> int:  # type: ignore[no-untyped-def]
    ws = book[sheet]
    heads = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[heads.index(key_col)].value == key:
            row[heads.index(header)].value = value
            return row[0].row
    raise KeyError(key)


@pytest.fixture
def shipped_book(tmp_path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(shipped_xlsx()))


def test_import_reports_every_problem_by_sheet_row_and_column(tmp_path, shipped_book):
    book = shipped_book
    r1 = _edit(book, "risks", "R1", "category", "physical_acutee")
    dc1 = _edit(book, "sites", "leased-dc-1", "replacement_value [currency]", -5)
    c2 = _edit(book, "controls", "C2", "type", "=1+2")
    meta = next(r[0].row for r in book["metadata"].iter_rows(min_row=2) if r[0].value == "currency")
    book["metadata"].cell(meta, 2, "cny")
    book["sites"].cell(1, 60, "colour")
    book["sites"].cell(2, 60, "red")
    book.create_sheet("Notes")
    book.create_sheet("_my notes")  # a leading underscore: the user's own, not read
    book.save(tmp_path / "bad.xlsx")
    out = tmp_path / "out"
    with pytest.raises(InputError) as err:
        spreadsheet.import_xlsx(tmp_path / "bad.xlsx", out)
    found = {(p.entry, p.field): p for p in err.value.problems}
    assert all(p.file == str(tmp_path / "bad.xlsx") for p in err.value.problems)
    assert found[(f"risks row {r1}", "category")].value == "physical_acutee"
    assert "did you mean 'physical_acute'" in found[(f"risks row {r1}", "category")].expected
    assert found[(f"sites row {dc1}", "replacement_value [currency]")].value == -5
    assert "formula" in found[(f"controls row {c2}", "type")].expected
    assert found[(f"metadata row {meta}", "currency")].value == "cny"
    assert ("sites row 1", "colour") in found
    assert ("sheet Notes", "") in found
    assert not any("_my notes" in p.entry for p in err.value.problems)
    assert len(err.value.problems) == 6
    assert not out.exists()  # nothing written


def test_import_maps_cross_checks_back_to_cells(tmp_path, shipped_book):
    book = shipped_book
    r1 = _edit(book, "risks", "R1", "controls", "C1; C2; C99")
    r2 = _edit(book, "risks", "R2", "sites", None)
    _edit(book, "risks", "R2", "sites.kind", "leased_dc")
    _edit(book, "risks", "R2", "sites.region", "north_china_plainn")
    model = _edit(book, "risk_models", "R1", "hazard", "typhon", key_col="risk")
    dc2 = _edit(book, "sites", "leased-dc-2", "hazards.typhoon.source", "nodoc: here")
    check = _edit(book, "reported_checks", "ghg_per_employee_reported", "metric", "nometric",
                  key_col="metric")
    book.save(tmp_path / "bad.xlsx")
    with pytest.raises(InputError) as err:
        spreadsheet.import_xlsx(tmp_path / "bad.xlsx", tmp_path / "out")
    found = {(p.entry, p.field): p for p in err.value.problems}
    assert found[(f"risks row {r1}", "controls")].value == "C99"
    assert found[(f"risks row {r2}", "sites.region")].value == "north_china_plainn"
    assert found[(f"risk_models row {model}", "hazard")].value == "typhon"
    assert found[(f"sites row {dc2}", "hazards.typhoon.source")].value == "nodoc: here"
    assert found[(f"reported_checks row {check}", "metric")].value == "nometric"
    assert len(err.value.problems) == 5


def test_import_reports_a_missing_sheet_or_column_once(tmp_path):
    folder = write_register(tmp_path / "reg", register_files())
    book = openpyxl.load_workbook(io.BytesIO(spreadsheet.export_xlsx(folder)))
    del book["sites"]
    controls = book["controls"]
    assert controls["B1"].value == "title"
    controls["B1"] = "titel"
    controls.cell(1, 60, "_my notes")  # a leading underscore: the user's own column
    controls.cell(2, 60, "anything")
    book.save(tmp_path / "bad.xlsx")
    with pytest.raises(InputError) as err:
        spreadsheet.import_xlsx(tmp_path / "bad.xlsx", tmp_path / "out")
    found = [(p.entry, p.field) for p in err.value.problems]
    assert ("sheet sites", "") in found
    assert ("controls row 1", "titel") in found
    assert [f for f in found if f[1] == "title"] == [("controls row 1", "title")]  # not once per row
    assert not any("_my notes" in p.field for p in err.value.problems)


def test_import_orders_models_by_position_and_checks_keys(tmp_path, shipped_book):
    ws = shipped_book["risk_models"]
    heads = [c.value for c in ws[1]]
    rows = [r for r in ws.iter_rows(min_row=2) if r[0].value == "R5"]
    assert [r[heads.index("type")].value for r in rows] == ["entity_event", "annual_cost"]
    for row, position in zip(rows, (2, 1), strict=True):  # same rows, positions swapped
        row[1].value = position
    shipped_book.save(tmp_path / "swapped.xlsx")
    spreadsheet.import_xlsx(tmp_path / "swapped.xlsx", tmp_path / "out")
    r5 = read_yaml(tmp_path / "out" / "risks.yaml")["risks"][4]
    assert [m["type"] for m in r5["models"]] == ["annual_cost", "entity_event"]
    rows[0][0].value = "R44"
    rows[1][1].value = "first"
    shipped_book.save(tmp_path / "bad.xlsx")
    with pytest.raises(InputError) as err:
        spreadsheet.import_xlsx(tmp_path / "bad.xlsx", tmp_path / "out2")
    messages = [str(p) for p in err.value.problems]
    assert any(f"risk_models row {rows[0][0].row}: risk: got 'R44'" in m and "'R4'" in m for m in messages)
    assert any(f"risk_models row {rows[1][0].row}: position: got 'first'" in m for m in messages)


def test_import_refuses_a_non_empty_folder_and_force_keeps_other_files(tmp_path):
    folder = write_register(tmp_path / "reg", register_files())
    book = tmp_path / "r.xlsx"
    book.write_bytes(spreadsheet.export_xlsx(folder))
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "opportunities.yaml").write_text("opportunities: [stale]")
    result = run("import-xlsx", book, "--out", out)
    assert result.exit_code == 2
    assert "--force" in result.output and "nothing was written" in result.output
    assert (out / "opportunities.yaml").read_text() == "opportunities: [stale]"
    files = register_files()
    del files["opportunities.yaml"]
    book.write_bytes(spreadsheet.export_xlsx(write_register(tmp_path / "reg2", files)))
    result = run("import-xlsx", book, "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert (out / "notes.txt").read_text() == "mine"  # never deleted
    assert read_yaml(out / "opportunities.yaml") == {"opportunities": []}  # no stale entries left
    assert load_register(out).opportunities == ()


def test_import_of_a_file_that_is_not_a_workbook(tmp_path):
    (tmp_path / "r.xlsx").write_text("not a workbook")
    result = run("import-xlsx", tmp_path / "r.xlsx", "--out", tmp_path / "out")
    assert result.exit_code == 2 and "an .xlsx workbook" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- commands


def test_export_and_import_commands(tmp_path):
    folder = write_register(tmp_path / "mini", register_files())
    book = tmp_path / "register.xlsx"
    result = run("export-xlsx", folder, "--out", book)
    assert result.exit_code == 0, result.output
    result = run("import-xlsx", book, "--out", tmp_path / "reg")
    assert result.exit_code == 0, result.output
    assert "valid register mini" in result.output
    assert run("validate", tmp_path / "reg").exit_code == 0


def test_export_of_an_invalid_register_lists_its_problems(tmp_path):
    files = register_files()
    files["sites.yaml"]["sites"][0]["kind"] = "leased"
    folder = write_register(tmp_path / "reg", files)
    result = run("export-xlsx", folder, "--out", tmp_path / "r.xlsx")
    assert result.exit_code == 2 and "kind: got 'leased'" in result.output
    assert not (tmp_path / "r.xlsx").exists()


def test_init_skeleton_is_valid_and_init_never_overwrites(tmp_path):
    folder = tmp_path / "new"
    result = run("init", folder)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == sorted(schema.REGISTER_FILES)
    assert "# " in (folder / "risks.yaml").read_text(encoding="utf-8")  # commented
    assert run("validate", folder).exit_code == 0
    reg = load_register(folder)
    assert all(len(x) >= 1 for x in (reg.documents, reg.regions, reg.sites, reg.risks, reg.opportunities,
                                     reg.controls, reg.metrics, reg.targets))
    before = (folder / "register.yaml").read_bytes()
    result = run("init", folder)
    assert result.exit_code == 2 and "init never overwrites" in result.output
    assert (folder / "register.yaml").read_bytes() == before


def test_init_from_a_shipped_register_copies_it(tmp_path):
    result = run("init", tmp_path / "k", "--from", "kuaishou-2023")
    assert result.exit_code == 0, result.output
    for name in schema.REGISTER_FILES:
        if name != "register.yaml":
            assert (tmp_path / "k" / name).read_bytes() == (SHIPPED / name).read_bytes()
    # the copy has its own register id (so its history never mixes with the original's); the
    # id line is the only change
    copy, original = ((f / "register.yaml").read_text(encoding="utf-8").splitlines() for f in
                      (tmp_path / "k", SHIPPED))
    assert len(copy) == len(original)
    changed = [(a, b) for a, b in zip(original, copy, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][0] == "id: kuaishou-2023"
    assert changed[0][1].startswith("id: k  # a copy of register kuaishou-2023")
    assert load_register(tmp_path / "k").id == "k"
    assert "register id k" in result.output
    result = run("init", tmp_path / "kuaishou-2023", "--from", "kuaishou-2023")
    assert load_register(tmp_path / "kuaishou-2023").id == "kuaishou-2023-copy"
    result = run("init", tmp_path / "x", "--from", "kuaishou-2022")
    assert result.exit_code == 2 and "did you mean 'kuaishou-2023'" in result.output
    assert not (tmp_path / "x").exists()


def test_skeleton_is_package_data():
    from importlib import resources

    folder = resources.files("climaterisk").joinpath("data", "skeleton")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".yaml"))
    assert names == sorted(schema.REGISTER_FILES)
