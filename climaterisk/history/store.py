"""The run history: snapshots of register, scenario, results and manifest in SQLite.

A snapshot is immutable: a second snapshot of the same quarter is a new revision (triggers
refuse UPDATE and DELETE). Writing one is a single ``BEGIN IMMEDIATE`` transaction, so a
process killed mid-write leaves the database as it was, and concurrent writers queue (WAL
journal, busy timeout) rather than fail. The schema is versioned; :data:`MIGRATIONS` upgrades an
older database in place when it is opened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from climaterisk.errors import InputError, OutputError, Problem
from climaterisk.io import shipped_dir
from climaterisk.register import REGISTER_FILES_ORDER, Register
from climaterisk.scenarios import Scenario

QUARTER = re.compile(r"^(\d{4})Q([1-4])$")

MIGRATIONS: list[str] = [
    # 1: snapshots with the register files, the scenario id and the results
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        quarter TEXT NOT NULL,
        revision INTEGER NOT NULL,
        created_utc TEXT NOT NULL,
        register_id TEXT NOT NULL,
        register_sha256 TEXT NOT NULL,
        register_files TEXT NOT NULL,
        scenario_id TEXT NOT NULL,
        results TEXT NOT NULL,
        manifest TEXT NOT NULL,
        UNIQUE (register_id, quarter, revision)
    );
    CREATE TRIGGER snapshots_no_update BEFORE UPDATE ON snapshots
        BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;
    CREATE TRIGGER snapshots_no_delete BEFORE DELETE ON snapshots
        BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;
    """,
    # 2: keep the scenario file itself (so a review can re-run it) and headline figures
    """
    ALTER TABLE snapshots ADD COLUMN scenario_file TEXT NOT NULL DEFAULT '';
    ALTER TABLE snapshots ADD COLUMN headline_year INTEGER;
    ALTER TABLE snapshots ADD COLUMN residual_eal REAL;
    ALTER TABLE snapshots ADD COLUMN residual_var99 REAL;
    CREATE INDEX snapshots_by_quarter ON snapshots (register_id, quarter, revision);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def default_store_path(register_path: Path) -> Path:
    """Where a register's history lives when no store is named: ``.climaterisk/history.sqlite``
    beside the register folder, or in the current folder for a shipped register (whose folder
    may be read-only, inside an installed package)."""
    shipped = shipped_dir("registers").resolve()
    folder = register_path.resolve()
    base = Path.cwd() if shipped in folder.parents else folder.parent
    return base / ".climaterisk" / "history.sqlite"


def open_existing(path: Path) -> Store:
    """The store at ``path``, which must exist (reading commands never create one)."""
    if not path.exists():
        raise InputError(Problem(str(path), "", "", None, "a history store: record a snapshot first"))
    return Store(path)


SUMMARY_FIELDS = ("quarter", "revision", "created_utc", "register_id", "register_sha256", "scenario_id",
                  "headline_year", "residual_eal", "residual_var99")
"""The fields of a snapshot that ``climaterisk history --format json`` lists."""


def check_quarter(text: str) -> str:
    """``2026Q3`` style quarters."""
    if not QUARTER.match(text or ""):
        raise InputError(Problem("", "", "quarter", text, "a quarter such as 2026Q3"))
    return text


def previous_quarter(quarter: str) -> str:
    """>>> previous_quarter("2026Q1")
    '2025Q4'
    """
    year, q = (int(x) for x in QUARTER.match(quarter).groups())
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


@dataclass(frozen=True)
class Snapshot:
    id: int
    quarter: str
    revision: int
    created_utc: str
    register_id: str
    register_sha256: str
    register_files: dict[str, str]
    scenario_id: str
    scenario_file: str
    results: dict
    manifest: dict
    headline_year: int | None
    residual_eal: float | None
    residual_var99: float | None


def register_texts(register: Register) -> dict[str, str]:
    """The register's files as text, exactly as read (for a later re-run)."""
    return {name: (register.path / name).read_text(encoding="utf-8")
            for name in REGISTER_FILES_ORDER if (register.path / name).is_file()}


def texts_sha256(texts: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name].encode("utf-8") + b"\0")
    return digest.hexdigest()


class Store:
    """A history database. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(f"cannot open history store {self.path}: {exc}") from None
        self.db.row_factory = sqlite3.Row
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA busy_timeout=60000")
            self.migrate()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise InputError(Problem(str(self.path), "", "", str(exc),
                                     "a climaterisk history database (SQLite)")) from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def version(self) -> int:
        exists = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        if not exists:
            return 0
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row["value"]) if row else 0

    def migrate(self) -> None:
        """Apply the migrations this database lacks, each in its own transaction."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            current = self.version()
            if current > SCHEMA_VERSION:
                raise InputError(Problem(str(self.path), "", "schema_version", current,
                                         f"at most {SCHEMA_VERSION} (upgrade climaterisk)"))
            for number in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _statements(MIGRATIONS[number - 1]):
                    self.db.execute(statement)
                self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                                (str(number),))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def add(
        self, quarter: str, register: Register, scenario: Scenario, results: dict,
        before_commit: Callable[[], None] | None = None,
    ) -> Snapshot:
        """Record a snapshot as the next revision of ``quarter``, in one transaction.

        ``before_commit`` runs inside the transaction, just before COMMIT (tests use it to
        kill the process mid-write).
        """
        check_quarter(quarter)
        texts = register_texts(register)
        scenario_text = Path(scenario.path).read_text(encoding="utf-8") if scenario.path else ""
        last = results["horizons"][-1] if results.get("horizons") else None
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        try:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute(
                "SELECT COALESCE(MAX(revision), 0) AS r FROM snapshots WHERE register_id=? AND quarter=?",
                (register.id, quarter)).fetchone()
            cursor = self.db.execute(
                """INSERT INTO snapshots (quarter, revision, created_utc, register_id, register_sha256,
                   register_files, scenario_id, results, manifest, scenario_file, headline_year,
                   residual_eal, residual_var99) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (quarter, row["r"] + 1, now, register.id, texts_sha256(texts), json.dumps(texts),
                 scenario.id, json.dumps(results, default=str), json.dumps(results.get("manifest", {})),
                 scenario_text, last["year"] if last else None,
                 last["total"]["residual"]["mean"] if last else None,
                 last["total"]["residual"]["var99"] if last else None))
            if before_commit is not None:
                before_commit()
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        return self.get(cursor.lastrowid)

    def get(self, snapshot_id: int) -> Snapshot:
        row = self.db.execute("SELECT * FROM snapshots WHERE id=?", (snapshot_id,)).fetchone()
        return _snapshot(row)

    def list(self, register_id: str | None = None) -> list[Snapshot]:
        sql = "SELECT * FROM snapshots"
        args: tuple = ()
        if register_id:
            sql += " WHERE register_id=?"
            args = (register_id,)
        rows = self.db.execute(sql + " ORDER BY quarter, revision, id", args).fetchall()
        return [_snapshot(r) for r in rows]

    def latest(self, register_id: str, quarter: str) -> Snapshot | None:
        row = self.db.execute(
            "SELECT * FROM snapshots WHERE register_id=? AND quarter=? ORDER BY revision DESC LIMIT 1",
            (register_id, quarter)).fetchone()
        return _snapshot(row) if row else None

    def before(self, register_id: str, quarter: str) -> Snapshot | None:
        """The latest snapshot of an earlier quarter."""
        row = self.db.execute(
            "SELECT * FROM snapshots WHERE register_id=? AND quarter<? "
            "ORDER BY quarter DESC, revision DESC LIMIT 1", (register_id, quarter)).fetchone()
        return _snapshot(row) if row else None


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers keep their inner semicolons)."""
    parts, buffer = [], ""
    for line in script.strip().splitlines():
        buffer += line + "\n"
        stripped = line.strip().upper()
        in_trigger = "CREATE TRIGGER" in buffer.upper() and not stripped.endswith("END;")
        if stripped.endswith(";") and not in_trigger:
            parts.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        parts.append(buffer.strip())
    return parts


def _snapshot(row: sqlite3.Row) -> Snapshot:
    keys = row.keys()
    return Snapshot(
        id=row["id"], quarter=row["quarter"], revision=row["revision"], created_utc=row["created_utc"],
        register_id=row["register_id"], register_sha256=row["register_sha256"],
        register_files=json.loads(row["register_files"]), scenario_id=row["scenario_id"],
        scenario_file=row["scenario_file"] if "scenario_file" in keys else "",
        results=json.loads(row["results"]), manifest=json.loads(row["manifest"]),
        headline_year=row["headline_year"] if "headline_year" in keys else None,
        residual_eal=row["residual_eal"] if "residual_eal" in keys else None,
        residual_var99=row["residual_var99"] if "residual_var99" in keys else None,
    )
