"""Engine flags shared by the commands that run the engine (``ocr``, ``bench``), and the
settings they make: the environment's ``OcrSettings`` with the given flags on top."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

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
