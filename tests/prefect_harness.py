"""A real ``prefect server start`` (SQLite, its own home, the UI served) and Debian's Chromium,
for the tests that drive Prefect as people do: the deployments (tests/test_deployments.py) and
the review form (tests/test_review_ui.py).

A test module takes the fixtures by name: ``prefect_server = prefect_harness.prefect_server``
(pytest finds fixtures among a module's attributes; an assignment, unlike an import, is not
shadowed by the test's parameter of that name). Every subprocess started here (and whatever it
started) is killed at teardown, also when a test fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ingest_runs import start_logged, wait_until_healthy
from tests.s3server import free_port

PREFECT = [sys.executable, "-m", "prefect"]
CHROMIUM = Path("/usr/bin/chromium")


def _descendants(root: int) -> list[int]:
    """Every live process below ``root`` (Linux /proc), children before grandchildren."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM then SIGKILL the process group of ``process`` and of every descendant (flow
    runs live in sessions of their own)."""
    pids = [process.pid, *_descendants(process.pid)]
    groups = set()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            groups.add(os.getpgid(pid))
    groups.discard(os.getpgid(0))  # never our own group
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for group in groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue
        if all(not Path(f"/proc/{pid}").exists() for pid in pids[1:]):
            break
    process.wait(timeout=10)


def tail(log: Path, chars: int = 4000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else "(no log)"


def base_env(home: Path, api_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREFECT_", "OCRFLOW_", "AWS_"))
    }
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_LOGGING_LEVEL="INFO",
    )
    return env


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ocrflow-deploy-") as name:
        yield Path(name)


@pytest.fixture(scope="module")
def prefect_server(workdir: Path) -> Iterator[str]:
    """``prefect server start`` on a free loopback port; yields the API URL."""
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    home = workdir / "server-home"
    home.mkdir()
    env = base_env(home, api_url)
    del env["PREFECT_API_URL"]  # the server itself
    env.update(
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(port),
        PREFECT_SERVER_UI_API_URL=api_url,
        PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{home / 'prefect.db'}",
    )
    log = workdir / "server.log"
    server = start_logged(
        [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, log
    )
    try:
        wait_until_healthy(api_url, server, log)
        yield api_url
    finally:
        kill_tree(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()


def wait_until(found: Any, message: Any, timeout: float, every: float = 0.5) -> Any:
    """Call ``found`` until it returns something true (returned); fail with ``message()``
    (a callable, so it can read logs at that moment) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := found()):
        if time.monotonic() > deadline:
            pytest.fail(message() if callable(message) else message)
        time.sleep(every)
    return value
