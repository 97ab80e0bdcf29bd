"""``ocrflow --help`` and every command's help wrap to the terminal, never where a docstring's
source line happened to end (Typer keeps those line breaks in the command list and after a
help text's first paragraph)."""

from __future__ import annotations

import inspect
import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
import typer.rich_utils
from typer.testing import CliRunner

from ocrflow.flows.cli import app

runner = CliRunner()
WIDTHS = (80, 120)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


COMMANDS = dict(_commands(typer.main.get_command(app)))


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in inspect.cleandoc(text).split("\n\n") if p.strip()]


def _render(path: tuple[str, ...], width: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", None)  # TERMINAL_WIDTH would pin it
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return ANSI.sub("", result.output).splitlines()


def _assert_greedy(lines: list[str], width: int, what: str) -> None:
    """Each line break of a wrapped paragraph is one the next word could not have fitted before."""
    for line, following in itertools.pairwise(lines):
        word = following.split()[0]
        assert len(line) + 1 + len(word) > width, (
            f"{what}: line broken before {word!r} with room left:\n{line}\n{following}"
        )


def _description(lines: list[str]) -> list[list[str]]:
    """The paragraphs between the usage line and the first panel, each as its rendered lines."""
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Usage:")) + 1
    paragraphs: list[list[str]] = [[]]
    for line in lines[start:]:
        if line.startswith("╭"):
            break
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


def _command_rows(lines: list[str]) -> tuple[dict[str, list[str]], int]:
    """The Commands panel: each command's description as its rendered lines, and the width of
    the description column."""
    start = next(i for i, line in enumerate(lines) if line.startswith("╭─ Commands"))
    inner = [line[2:-2] for line in lines[start + 1 :] if line.startswith("│")]
    first_name = inner[0].split()[0]
    offset = (
        len(first_name)
        + len(inner[0][len(first_name) :])
        - len(inner[0][len(first_name) :].lstrip())
    )
    rows: dict[str, list[str]] = {}
    name = ""
    for line in inner:
        if not line[:1].isspace():
            name = line.split()[0]
            rows[name] = []
        rows[name].append(line[offset:].rstrip())
    return rows, len(inner[0]) - offset


def test_every_command_has_one_line_per_help_paragraph() -> None:
    """What Typer is given: no line break inside a paragraph of any command's help."""
    for path, command in COMMANDS.items():
        for text in (command.help, command.short_help):
            for paragraph in (text or "").split("\n\n"):
                if not paragraph.startswith("\b"):
                    assert "\n" not in paragraph.strip(), (path, paragraph)
        for param in command.params:
            assert "\n" not in (getattr(param, "help", None) or ""), (path, param.name)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", list(COMMANDS), ids=lambda p: " ".join(("ocrflow", *p)))
def test_help_wraps_to_the_terminal(
    path: tuple[str, ...], width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = COMMANDS[path]
    lines = _render(path, width, monkeypatch)
    description = _description(lines)
    assert [" ".join(p) for p in description] == _paragraphs(command.help or ""), lines
    for paragraph in description:
        _assert_greedy(paragraph, width - 2, " ".join(path) or "ocrflow")
    subcommands = getattr(command, "commands", {})
    if not subcommands:
        return
    rows, column = _command_rows(lines)
    assert list(rows) == list(subcommands)
    for name, row in rows.items():
        sub = subcommands[name]
        short = sub.short_help or sub.help or ""
        assert " ".join(row) == _paragraphs(short)[0], row
        _assert_greedy(row, column, f"{' '.join(path)} command list: {name}")
