"""A throwaway PostgreSQL server for the tests of the PostgreSQL history store.

:func:`postgres_server` (session-scoped) runs ``initdb`` into a temporary folder and starts the
server on a Unix socket there and a free port, as the ``postgres`` user when the tests run as
root (the server refuses to run as root), and stops it at the end. It skips, saying why, only
when the server binaries or the driver are not installed. :func:`postgres_url` gives each test a
database of its own on that server.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _bindir() -> Path | None:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[dict]:
    """{"host": socket folder, "port": port} of a running throwaway server."""
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed "
                    "(Debian: apt-get install postgresql); .ci/run installs them")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("the PostgreSQL driver is not installed: pip install 'climaterisk[postgres]'")
    prefix: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="climaterisk-pg-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        if shutil.which("setpriv") is None:
            pytest.skip("running as root and setpriv (util-linux) is missing to run the server as postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        prefix = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
    data, port = folder / "data", _free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, text=True, cwd=folder, timeout=120)

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--locale=C", "--no-sync")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t", "60",
            "-o", f"-k {folder} -p {port} -c listen_addresses='' -c fsync=off", "start")
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"could not start a PostgreSQL server: {exc.stderr or exc.stdout}")
    try:
        yield {"host": str(folder), "port": port}
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, cwd=folder, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def new_database(server: dict) -> str:
    """A new, empty database on ``server``; its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = f"postgresql://postgres@/postgres?host={server['host']}&port={server['port']}"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return f"postgresql://postgres@/{name}?host={server['host']}&port={server['port']}"


@pytest.fixture
def postgres_url(postgres_server: dict) -> str:
    """A database of this test's own on the throwaway server."""
    return new_database(postgres_server)
