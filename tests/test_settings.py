"""Settings grouped by concern: nested environment names, the flat legacy names, overrides."""

from __future__ import annotations

import pickle
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
from pydantic import BaseModel, ValidationError

from ocrflow.schemas.settings import LEGACY_ENV_NAMES, OcrSettings, settings_with

GROUPS: dict[str, type[BaseModel]] = {
    name: field.annotation
    for name, field in OcrSettings.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
}


@pytest.fixture(autouse=True)
def _no_ocrflow_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from the defaults, whatever OCRFLOW_* the calling shell has."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("OCRFLOW_"):
            monkeypatch.delenv(name)


def _field(path: str) -> Any:
    group, name = path.split(".")
    return GROUPS[group].model_fields[name]


def _get(settings: OcrSettings, path: str) -> Any:
    group, name = path.split(".")
    return getattr(getattr(settings, group), name)


def _sample(annotation: Any, default: Any, other: bool = False) -> tuple[str, Any]:
    """An environment text the field accepts and its value, other than the default (and,
    with ``other``, than the first sample: for a bool, that leaves only the default)."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if get_origin(annotation) is Literal:
        choices = [c for c in get_args(annotation) if c != default]
        return str(choices[other]), choices[other]
    if annotation is bool:
        value = default if other else not default
        return str(value).lower(), value
    if annotation is int:
        return ("400", 400) if other else ("300", 300)  # inside every int field's bounds
    if annotation is float:
        return ("0.75", 0.75) if other else ("0.65", 0.65)
    if annotation is Path:
        value = Path("/tmp/ocrflow-other" if other else "/tmp/ocrflow-models")
        return str(value), value
    if annotation is str:
        return ("ppocrv4", "ppocrv4") if other else ("ppocrv6-tiny", "ppocrv6-tiny")
    raise AssertionError(f"no sample for {annotation!r}")


def test_groups_are_the_only_top_level_fields() -> None:
    assert set(GROUPS) == set(OcrSettings.model_fields)
    assert set(GROUPS) == {
        "models",
        "engine",
        "decoding",
        "detection",
        "orientation",
        "recognition",
        "records",
        "fields",
        "storage",
    }


def test_every_field_has_a_description() -> None:
    for group, model in GROUPS.items():
        assert OcrSettings.model_fields[group].description, group
        for name, field in model.model_fields.items():
            assert field.description and len(field.description) > 15, f"{group}.{name}"


NEW_GROUPS = {"fields"}  # groups that came after the flat names: no alias to keep


def test_legacy_names_cover_every_field_once() -> None:
    every = {
        f"{group}.{name}"
        for group, model in GROUPS.items()
        if group not in NEW_GROUPS
        for name in model.model_fields
    }
    assert sorted(LEGACY_ENV_NAMES.values()) == sorted(every)
    assert all(name.startswith("OCRFLOW_") and "__" not in name for name in LEGACY_ENV_NAMES)


def test_nested_environment_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCRFLOW_ENGINE__THREADS", "3")
    monkeypatch.setenv("OCRFLOW_ORIENTATION__LINE", "trust")
    monkeypatch.setenv("OCRFLOW_STORAGE__DATABASE_URL", "sqlite:///nested.db")
    settings = OcrSettings()
    assert settings.engine.threads == 3
    assert settings.orientation.line == "trust"
    assert settings.storage.database_url == "sqlite:///nested.db"
    assert settings.engine.lanes == 0  # the rest of the group keeps its defaults


@pytest.mark.parametrize(("legacy", "path"), sorted(LEGACY_ENV_NAMES.items()))
def test_legacy_flat_name(monkeypatch: pytest.MonkeyPatch, legacy: str, path: str) -> None:
    field = _field(path)
    text, value = _sample(field.annotation, field.get_default(call_default_factory=True))
    assert _get(OcrSettings(), path) != value
    monkeypatch.setenv(legacy, text)
    assert _get(OcrSettings(), path) == value


@pytest.mark.parametrize(("legacy", "path"), sorted(LEGACY_ENV_NAMES.items()))
def test_nested_name_wins_over_legacy(
    monkeypatch: pytest.MonkeyPatch, legacy: str, path: str
) -> None:
    field = _field(path)
    default = field.get_default(call_default_factory=True)
    legacy_text, legacy_value = _sample(field.annotation, default)
    nested_text, nested_value = _sample(field.annotation, default, other=True)
    assert nested_value != legacy_value
    group, name = path.split(".")
    monkeypatch.setenv(legacy, legacy_text)
    monkeypatch.setenv(f"OCRFLOW_{group.upper()}__{name.upper()}", nested_text)
    assert _get(OcrSettings(), path) == nested_value


def test_legacy_names_match_ignoring_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ocrflow_threads", "2")
    assert OcrSettings().engine.threads == 2


def test_legacy_value_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCRFLOW_PDF_DPI", "10")  # under the minimum of 36
    with pytest.raises(ValidationError, match=r"decoding\.pdf_dpi"):
        OcrSettings()


def test_keyword_arguments_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCRFLOW_THREADS", "2")
    monkeypatch.setenv("OCRFLOW_ENGINE__LANES", "4")
    settings = OcrSettings(engine={"threads": 5})  # type: ignore[arg-type]
    assert (settings.engine.threads, settings.engine.lanes) == (5, 4)


def test_overrides_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCRFLOW_DEVICE", "cpu")
    base = OcrSettings()
    changed = base.with_overrides({"engine.threads": 2, "detection.thresh": 0.4})
    assert changed.engine.threads == 2 and changed.detection.thresh == 0.4
    assert changed.engine.device == "cpu"  # untouched fields are kept
    assert base.engine.threads == 0  # the original is unchanged
    monkeypatch.setenv("OCRFLOW_DEVICE", "cuda")
    assert changed.with_overrides({}).engine.device == "cpu"  # the environment is not re-read
    assert settings_with({"models.set": "ppocrv4"}).engine.device == "cuda"  # but here it is
    assert settings_with({"models.set": "ppocrv4"}).models.set == "ppocrv4"


@pytest.mark.parametrize("path", ["threads", "engine.bogus", "bogus.threads", "engine"])
def test_overrides_refuse_unknown_paths(path: str) -> None:
    with pytest.raises(ValueError, match="unknown setting"):
        OcrSettings().with_overrides({path: 1})


def test_overrides_are_validated() -> None:
    with pytest.raises(ValidationError):
        OcrSettings().with_overrides({"engine.threads": -1})
    with pytest.raises(ValidationError):
        OcrSettings().with_overrides({"orientation.line": "sideways"})


def test_frozen_and_unknown_names_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = OcrSettings()
    with pytest.raises(ValidationError):
        settings.engine = settings.engine  # type: ignore[misc]
    with pytest.raises(ValidationError):
        settings.engine.threads = 2  # type: ignore[misc]
    with pytest.raises(ValidationError):
        OcrSettings(threads=1)  # type: ignore[call-arg]  # flat keywords are gone
    with pytest.raises(ValidationError):
        OcrSettings(engine={"bogus": 1})  # type: ignore[arg-type]
    monkeypatch.setenv("OCRFLOW_ENGINE__BOGUS", "1")
    with pytest.raises(ValidationError, match=r"engine\.bogus"):
        OcrSettings()


def test_unrelated_ocrflow_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCRFLOW_CODE_DIR", "/opt/ocrflow")  # prefect.yaml's, not a setting
    monkeypatch.setenv("OCRFLOW_SHARED_DATA", "/data")
    assert OcrSettings() == OcrSettings.model_validate(OcrSettings().model_dump())


def test_pickle_and_json_round_trip() -> None:
    settings = OcrSettings().with_overrides({"engine.threads": 2, "models.set": "ppocrv6-tiny"})
    assert pickle.loads(pickle.dumps(settings)) == settings
    assert OcrSettings.model_validate_json(settings.model_dump_json()) == settings
    assert settings.model_dump_json() != OcrSettings().model_dump_json()
    assert pickle.loads(pickle.dumps(settings)).model_dump_json() == settings.model_dump_json()
