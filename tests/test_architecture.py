"""The layers of docs/architecture.md, checked.

- Import contracts (``[tool.importlinter]`` in pyproject.toml): each layer imports only the
  layers below it, and the modules of a package do not import each other in a cycle. They are
  run with import-linter on this checkout, and once on a copy with a violation planted, to show
  that a violation fails.
- Third-party packages that belong to one module: typer in ``cli``, networkx in the graph module,
  tabulate in the terminal renderer, matplotlib in the figures, dask in the Dask engine,
  psycopg in the history store.
- Every layer says in its docstring what it owns and what it may import.
- Importing the package, or the Excel code, loads no simulator, networkx, pandas or matplotlib.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "climaterisk"
LAYERS = ("cli", "outputs", "history", "analysis", "model", "scenarios", "register")

# third-party package -> the only modules (dotted prefixes) that may import it
OWNERS = {
    "typer": ("climaterisk.cli",),
    "networkx": ("climaterisk.analysis.graph",),
    "tabulate": ("climaterisk.outputs.render",),
    "matplotlib": ("climaterisk.outputs.figures",),
    "dask": ("climaterisk.model.dask_engine",),
    "distributed": ("climaterisk.model.dask_engine",),
    "psycopg": ("climaterisk.history.store",),
}

pytest.importorskip("importlinter", reason="import-linter is in the test extra: pip install '.[test]'")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Top-level names of every absolute import in a file, function-level ones included."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _lint(project: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120)


def test_import_contracts_are_kept():
    run = _lint(ROOT, ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 kept, 0 broken" in run.stdout


@pytest.mark.parametrize(("module", "planted", "contract"), [
    ("model/draws.py", "import climaterisk.cli.common", "Each layer imports only the layers below it"),
    ("register/entities.py", "from climaterisk.register import loading", "No import cycles"),
])
def test_a_violation_breaks_a_contract(tmp_path, module, planted, contract):
    shutil.copytree(PACKAGE, tmp_path / "climaterisk",
                    ignore=shutil.ignore_patterns("__pycache__", "_shipped"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "climaterisk" / module
    target.write_text(target.read_text("utf-8") + f"\n{planted}  # planted by the test\n", "utf-8")
    run = _lint(tmp_path, tmp_path)
    assert run.returncode != 0, run.stdout
    broken = run.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, run.stdout


def test_third_party_packages_stay_in_their_module():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path, ROOT)
        for package in _imports(path) & set(OWNERS):
            if not name.startswith(OWNERS[package]):
                wrong.append(f"{name} imports {package} (only {', '.join(OWNERS[package])} may)")
    assert not wrong, "\n".join(wrong)


def test_every_layer_says_what_it_owns_and_may_import():
    for layer in LAYERS:
        doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text("utf-8"))) or ""
        assert "import" in doc.lower() and len(doc.split()) >= 30, f"climaterisk.{layer}: {doc!r}"


@pytest.mark.parametrize(("statement", "absent"), [
    ("import climaterisk", ["climaterisk.model", "climaterisk.analysis", "pandas", "numpy"]),
    ("import climaterisk.outputs.spreadsheet",
     ["climaterisk.model", "climaterisk.analysis", "networkx", "matplotlib", "pandas"]),
    ("import climaterisk.outputs.figures", ["matplotlib.pyplot"]),
])
def test_imports_load_only_what_they_need(statement, absent):
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    loaded = set(run.stdout.split())
    found = [m for m in absent if m in loaded]
    assert not found, f"{statement} loaded {found}"


def test_figures_leave_the_matplotlib_backend_alone():
    code = ("import matplotlib; matplotlib.use('svg'); import climaterisk.outputs.figures; "
            "print(matplotlib.get_backend())")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    assert run.stdout.strip() == "svg"
