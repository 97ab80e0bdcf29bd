"""Flags shared by several commands: the engine flags of the commands that run the engine
(``ocr``, ``bench``) and the settings they make (the environment's ``OcrSettings`` with the
given flags on top), the ingest flags, and the exit status every command ends with."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from enum import IntEnum
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError

from ocrflow.schemas.records import as_utc
from ocrflow.schemas.settings import (
    LineOrientationMode,
    OcrSettings,
    RuntimeName,
    settings_with,
)

ModelSetOption = Annotated[str | None, typer.Option(help="Model set name.")]
RuntimeOption = Annotated[RuntimeName | None, typer.Option(help="Inference runtime.")]
DetMaxSideOption = Annotated[int | None, typer.Option(help="Detection side limit.")]
LineOrientationOption = Annotated[
    LineOrientationMode | None, typer.Option(help="off, verify or trust.")
]
PageOrientationOption = Annotated[
    bool | None, typer.Option("--page-orientation/--no-page-orientation")
]


def engine_settings(flags: Mapping[str, Any]) -> OcrSettings:
    """Settings from the environment, with the flags that were given on top: ``flags`` maps
    ``group.field`` paths (``"engine.runtime"``) to flag values, None for a flag not given."""
    return settings_with({path: value for path, value in flags.items() if value is not None})


def parse_moment(text: str) -> datetime.datetime:
    """An ISO 8601 date or time (``2020-01-01``, ``2020-01-01T08:00:00+02:00``), in UTC; a
    time without a zone is UTC."""
    try:
        return as_utc(TypeAdapter(datetime.datetime).validate_python(text))
    except ValidationError as error:
        raise typer.BadParameter(
            f"{text!r} is not a date or time (e.g. 2020-01-01 or 2020-01-01T08:00:00+02:00)"
        ) from error


LocaleOption = Annotated[
    str | None,
    typer.Option(
        help="How the documents write amounts and dates, and their label languages: de-DE, "
        "fr-FR, en-US, en-MY, auto (this run only; default: the setting, else the type's).",
    ),
]
ModifiedSinceOption = Annotated[
    datetime.datetime | None,
    typer.Option(
        parser=parse_moment,
        metavar="WHEN",
        help="Only objects modified at or after WHEN (ISO 8601; without a zone: UTC).",
    ),
]


class ExitStatus(IntEnum):
    """How every command that reads documents ends (``ocr``, ``extract``, ``ingest``,
    ``run-deployment --wait``)."""

    OK = 0
    RUN_FAILED = 1  # the run itself: nothing, or not everything, was read
    DOCUMENTS_FAILED = 2  # the run went through; some documents could not be read


def exit_status(documents_failed: int, run_failed: bool = False) -> ExitStatus:
    """A failed run wins over failed documents: its documents were not all tried."""
    if run_failed:
        return ExitStatus.RUN_FAILED
    return ExitStatus.DOCUMENTS_FAILED if documents_failed else ExitStatus.OK


def finish(documents_failed: int, run_failed: bool = False) -> None:
    """End the command with the status of :func:`exit_status` (returns when it is 0)."""
    status = exit_status(documents_failed, run_failed)
    if status is not ExitStatus.OK:
        raise typer.Exit(int(status))
