"""What importing ocrflow costs: the query API and the command line load no OpenCV, inference
runtime or Prefect, and nothing outside ``ocrflow.bench`` depends on the measuring tools."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import REPO_ROOT

HEAVY = ("cv2", "onnxruntime", "torch", "paddle")
PACKAGE = REPO_ROOT / "ocrflow"


def _loaded_after(statement: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported after ``statement``."""
    report = f"print(json.dumps([m for m in {modules!r} if m in sys.modules]))"
    code = f"import json, sys\n{statement}\n{report}"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    loaded: list[str] = json.loads(completed.stdout.splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "statement", ["from ocrflow import query", "import ocrflow.query", "import ocrflow.schemas"]
)
def test_the_query_api_loads_no_engine(statement: str) -> None:
    assert _loaded_after(statement, HEAVY) == []


def test_the_command_line_loads_no_engine_prefect_or_pandas() -> None:
    # `ocrflow --help` imports ocrflow.flows.cli and nothing more; commands import their
    # engine, Prefect and pandas when they run.
    assert _loaded_after("import ocrflow.flows.cli", (*HEAVY, "prefect", "pandas")) == []


def _imported_modules(path: str, tree: ast.Module) -> Iterator[str]:
    package = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__").split(".")
    if not path.endswith("__init__.py"):
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [base])])
            yield from (f"{base}.{alias.name}" for alias in node.names)


def test_only_ocrflow_bench_imports_the_measuring_tools() -> None:
    # ocrflow.flows.cli registers `ocrflow bench`: it imports ocrflow.bench.cli, whose own
    # imports are only typer and the shared options (the bench runs import the rest).
    allowed = {"ocrflow/flows/cli.py": "ocrflow.bench.cli"}
    offenders = []
    for file in sorted(PACKAGE.rglob("*.py")):
        path = file.relative_to(REPO_ROOT).as_posix()
        if path.startswith("ocrflow/bench/"):
            continue
        for name in sorted(set(_imported_modules(path, ast.parse(file.read_text(), path)))):
            if name != "ocrflow.bench" and not name.startswith("ocrflow.bench."):
                continue
            exception = allowed.get(path)
            if exception is None or (name != exception and not name.startswith(f"{exception}.")):
                offenders.append(f"{path}: {name}")
    assert offenders == []


def test_the_bench_command_module_stays_light() -> None:
    assert _loaded_after("import ocrflow.bench.cli", (*HEAVY, "prefect", "pandas")) == []
