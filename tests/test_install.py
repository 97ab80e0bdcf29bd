"""ocrflow as a user gets it: the wheel built from this checkout, installed (not editable) into
a fresh virtual environment and used from a project of the user's own that has top-level
``flows``, ``schemas`` and ``ocr_tasks`` packages, which ocrflow must never import in place of
its own.

The fresh environment downloads nothing: a ``.pth`` file appends this environment's
site-packages to its ``sys.path``. Directories named by a ``.pth`` line are appended as they
are (their own ``.pth`` files are not processed), so this checkout's editable install is not
active there, and ``ocrflow`` can only come from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, SAMPLES

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("install")]

RECEIPT = SAMPLES / "receipt.png"
# What the user's own packages do when imported: fail loudly, naming themselves.
CLASH = (
    "raise ImportError(\"the user project's {name} package was imported instead of ocrflow's\")\n"
)
USER_PACKAGES = ("flows", "schemas", "ocr_tasks")


@dataclass(frozen=True)
class Install:
    venv: Path
    project: Path  # the user's project: the working directory of every command
    env: dict[str, str]

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def ocrflow(self) -> Path:
        return self.venv / "bin" / "ocrflow"

    def run(self, *command: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            [str(part) for part in command],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert completed.returncode == 0, (
            f"{command} exited {completed.returncode}\n"
            f"stdout:\n{completed.stdout[-3000:]}\nstderr:\n{completed.stderr[-5000:]}"
        )
        return completed


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout, built from a copy (an in-tree build would leave build/
    and egg-info behind in the checkout)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    shutil.copytree(
        REPO_ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "venv",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            ".*_cache",
            ".hypothesis",
            "*.db",
            "annotated",
        ),
    )
    dist = root / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = dist.glob("ocrflow-*.whl")
    return built


@pytest.fixture(scope="module")
def install(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Install:
    root = tmp_path_factory.mktemp("install")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    fresh_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # This environment's packages, for the wheel's dependencies (found after the fresh ones).
    paths = sysconfig.get_paths()
    outer = dict.fromkeys([paths["purelib"], paths["platlib"]])
    (Path(fresh_site) / "outer-site-packages.pth").write_text("".join(f"{p}\n" for p in outer))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )

    project = root / "project"
    for name in USER_PACKAGES:
        (project / name).mkdir(parents=True)
        (project / name / "__init__.py").write_text(CLASH.format(name=name))
    (project / "schemas" / "settings.py").write_text(CLASH.format(name="schemas.settings"))
    (project / "inbox").mkdir()
    shutil.copy(RECEIPT, project / "inbox" / RECEIPT.name)

    prefect_home = root / "prefect-home"
    prefect_home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREFECT_", "OCRFLOW_", "PYTHON", "VIRTUAL_ENV"))
    }
    env |= {
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "VIRTUAL_ENV": str(venv),
        # Prefect's ephemeral API, on a home of its own, without phoning home.
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # The ephemeral server gets 20 s to start by default: not always enough on a busy
        # two-core CI machine.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return Install(venv, project, env)


def test_the_wheel_holds_the_ocrflow_package_only(wheel: Path) -> None:
    version = wheel.name.split("-")[1]
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        dist_info = f"ocrflow-{version}.dist-info/"
        assert names
        assert [n for n in names if not n.startswith(("ocrflow/", dist_info))] == []
        if f"{dist_info}top_level.txt" in names:
            assert archive.read(f"{dist_info}top_level.txt").decode().split() == ["ocrflow"]
        # the packages moved under ocrflow/ came along, with the migrations' package data
        for module in ("flows/cli.py", "ocr_tasks/pipeline.py", "schemas/settings.py"):
            assert f"ocrflow/{module}" in names
        assert "ocrflow/bench/cli.py" in names
        assert any(n.startswith("ocrflow/schemas/migrations/versions/") for n in names)


def test_ocrflow_comes_from_the_wheel_not_the_checkout(install: Install) -> None:
    code = (
        "import sys, ocrflow, ocrflow.flows.cli, ocrflow.schemas.settings\n"
        "print(ocrflow.__file__)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {USER_PACKAGES!r}))"
    )
    file, user_modules = install.run(install.python, "-c", code).stdout.splitlines()
    assert Path(file).is_relative_to(install.venv), file
    assert user_modules == "[]"


def test_the_command_line(install: Install) -> None:
    help_text = install.run(install.ocrflow, "--help").stdout
    for command in ("ocr", "extract", "ingest", "bench", "deploy", "query", "db"):
        assert command in help_text
    assert "Usage" in install.run(install.python, "-m", "ocrflow.flows.cli", "--help").stdout
    text = install.run(install.ocrflow, "ocr", RECEIPT).stdout.splitlines()
    assert text[1] == "CORNER BAKERY SDN BHD"


def test_the_python_api(install: Install) -> None:
    install.run(install.python, "-c", "from ocrflow import query; query.fields, query.lines")
    code = (
        "from pathlib import Path\n"
        "from ocrflow.ocr_tasks import OcrEngine\n"
        f"(result,) = OcrEngine().read_paths([Path({str(RECEIPT)!r})])\n"
        "print(result.status, result.pages[0].lines[0].text)"
    )
    assert install.run(install.python, "-c", code).stdout.strip() == "done CORNER BAKERY SDN BHD"


def test_a_flow_on_the_ephemeral_api(install: Install) -> None:
    db = f"sqlite:///{install.project / 'ocrflow.db'}"
    ingest = install.run(install.ocrflow, "ingest", "inbox", "--type", "receipt", "--db", db)
    assert "listed 1" in ingest.stdout and "done 1" in ingest.stdout, ingest.stdout
    fields = install.run(install.ocrflow, "query", "fields", "--db", db, "--format", "csv").stdout
    assert "inbox" in fields and "receipt" in fields, fields
