"""Runs: every ingest, extract and re-extraction recorded, with two fingerprints.

The *OCR fingerprint* hashes what decides the lines read from a page: ocrflow's version, the
model files' contents, the runtime, and the decoding, detection, orientation and recognition
settings. The *fields fingerprint* hashes what decides the fields found among those lines:
the document type's declaration and fitted model, the locale, the scorer and the line
threshold. A document whose ETag and both fingerprints match what is stored is skipped; when
only the fields fingerprint differs its fields are found again from its stored lines, with no
download and no OCR; when the OCR fingerprint differs it is read again.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import getpass
import hashlib
import json
import socket
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import insert, update

from ocrflow.schemas.doctypes import DocumentType
from ocrflow.schemas.records import SourceObject
from ocrflow.schemas.settings import FieldSettings, OcrSettings
from ocrflow.schemas.tables import RunRow

RunKind = Literal["ingest", "extract", "reextract"]
#: Settings that change how fast, or in how much memory, pages are read, never what is read:
#: left out of the OCR fingerprint, so that tuning a worker does not read everything again.
NOT_DECIDING_OUTPUT: Mapping[str, frozenset[str]] = {
    "models": frozenset({"cache_dir"}),
    "engine": frozenset(
        {"threads", "lanes", "memory_arena", "arena_shrink", "mmap_threshold_kib", "recycle_chunks"}
    ),
    "recognition": frozenset({"queue_mib", "flush_lines"}),
}
OCR_GROUPS = ("models", "engine", "decoding", "detection", "orientation", "recognition")


def ocrflow_version() -> str:
    try:
        return version("ocrflow")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class Fingerprint:
    """A digest, and the parts it was made of (stored with the run, for people to read)."""

    digest: str
    parts: dict[str, Any]

    @classmethod
    def of(cls, parts: dict[str, Any]) -> Fingerprint:
        text = json.dumps(parts, sort_keys=True, default=str)
        return cls(hashlib.sha256(text.encode()).hexdigest()[:32], parts)


@dataclass(frozen=True)
class RunStamp:
    """What a stored document, its lines and fields are marked with."""

    run_id: str | None
    ocr_fingerprint: str | None
    fields_fingerprint: str | None


def run_stamp(
    run_id: str | None,
    settings: OcrSettings,
    document_type: type[DocumentType] | None,
    min_confidence: float,
) -> RunStamp:
    """What documents read with ``settings`` and ``document_type`` in run ``run_id`` are
    stored with."""
    return RunStamp(
        run_id,
        ocr_fingerprint(settings).digest,
        fields_fingerprint(document_type, min_confidence, settings.fields).digest,
    )


def ocr_fingerprint(settings: OcrSettings) -> Fingerprint:
    """The OCR part. Resolving the model set reads no model into memory: the engine is not
    built to decide whether it is needed."""
    from ocrflow.ocr_tasks.models import resolve_model_set

    model_set = resolve_model_set(settings)
    models = {
        stage: _model_digest(getattr(model_set, stage).onnx, getattr(model_set, stage).paddle_dir)
        for stage in ("det", "rec", "cls", "orientation")
    }
    charset = _file_digest(model_set.charset_file) if model_set.charset_file else None
    parts = {
        "ocrflow": ocrflow_version(),
        "model_set": model_set.name,
        "models": models,
        "charset": charset,
        "settings": {group: _deciding(settings, group) for group in OCR_GROUPS},
    }
    return Fingerprint.of(parts)


def fields_fingerprint(
    document_type: type[DocumentType] | None, min_confidence: float, how: FieldSettings
) -> Fingerprint:
    """The fields part, for documents of ``document_type`` (None: no fields are looked for)."""
    parts: dict[str, Any] = {"ocrflow": ocrflow_version(), "min_confidence": min_confidence}
    if document_type is not None:
        from ocrflow.ocr_tasks.fields.decide import model_path

        model = model_path(document_type)
        parts |= {
            "type": document_type.type_name or document_type.__qualname__,
            "declaration": _text_digest(repr(_declaration(document_type))),
            "model": _file_digest(model) if model.exists() else None,
            "locale": how.locale or document_type.locale,
            "scorer": [how.scorer, document_type.field_scorer],
        }
    return Fingerprint.of(parts)


def _declaration(document_type: type[DocumentType]) -> tuple[Any, ...]:
    return (
        document_type.generic_pairs,
        document_type.min_confidence,
        document_type.field_specs(),
    )


def _deciding(settings: OcrSettings, group: str) -> dict[str, Any]:
    values: dict[str, Any] = getattr(settings, group).model_dump(mode="json")
    return {k: v for k, v in values.items() if k not in NOT_DECIDING_OUTPUT.get(group, ())}


def _model_digest(onnx: Path | None, paddle_dir: Path | None) -> dict[str, str | None]:
    paddle = None
    if paddle_dir is not None and paddle_dir.is_dir():
        files = sorted(p for p in paddle_dir.iterdir() if p.is_file())
        paddle = _text_digest("".join(f"{p.name}:{_file_digest(p)};" for p in files))
    return {"onnx": _file_digest(onnx) if onnx else None, "paddle": paddle}


def _file_digest(path: Path) -> str:
    stat = path.stat()
    return _file_digest_cached(path.resolve(), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _file_digest_cached(path: Path, size: int, mtime_ns: int) -> str:  # size, mtime: a new file
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:32]


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# --- what to do with each listed document ------------------------------------------------


@dataclass(frozen=True)
class StoredVersion:
    """What is stored for a document that was read: its ETag and fingerprints."""

    etag: str | None
    ocr_fingerprint: str | None
    fields_fingerprint: str | None


@dataclass
class ReadPlan:
    """Each source on one of three paths."""

    to_read: list[SourceObject] = field(default_factory=list)
    to_reextract: list[SourceObject] = field(default_factory=list)
    unchanged: list[SourceObject] = field(default_factory=list)


def plan_reads(
    sources: Sequence[SourceObject],
    stored: Mapping[str, StoredVersion],
    stamp: RunStamp,
    force: bool = False,
) -> ReadPlan:
    """Read a source that is new, changed (ETag), ``force``d or read by other OCR; find the
    fields again of one whose fields part alone changed; skip the rest. A document stored
    before fingerprints were recorded (None) is taken to have the same OCR: upgrading does not
    read a whole bucket again (``--force`` does), and its fields are found again once."""
    plan = ReadPlan()
    paths = {"read": plan.to_read, "reextract": plan.to_reextract, "unchanged": plan.unchanged}
    for source in sources:
        paths[_path(stored.get(source.uri), source, stamp, force)].append(source)
    return plan


def _path(
    known: StoredVersion | None, source: SourceObject, stamp: RunStamp, force: bool
) -> Literal["read", "reextract", "unchanged"]:
    if force or known is None or known.etag != source.etag:
        return "read"
    if known.ocr_fingerprint not in (None, stamp.ocr_fingerprint):  # read by other OCR
        return "read"
    return "reextract" if known.fields_fingerprint != stamp.fields_fingerprint else "unchanged"


# --- run rows ------------------------------------------------------------------------------


def started_by() -> str:
    """Who started this run: the Prefect flow run when under one, else user@host."""
    from prefect.runtime import flow_run

    if flow_run.id:
        return f"prefect flow run {flow_run.name} ({flow_run.id})"
    return f"{getpass.getuser()}@{socket.gethostname()}"


@dataclass
class Run:
    """A run being recorded: its id (what its rows are marked with) and its counts so far."""

    id: str
    counts: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def recorded_run(
    database_url: str,
    kind: RunKind,
    source: str | None,
    document_type: str | None,
    fingerprints: Sequence[Fingerprint | None],
) -> Iterator[Run]:
    """A run row, ``running`` until the block ends, then ``completed`` or ``failed`` with the
    counts the block left in :attr:`Run.counts`. ``fingerprints``: the OCR part (None for a
    re-extraction, which reads nothing) and the fields part (None when it differs by type)."""
    from prefect.runtime import flow_run

    from ocrflow.ocr_tasks.store import database_engine

    ocr, fields = fingerprints
    run = Run(id=str(uuid.uuid4()))
    engine = database_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            insert(RunRow).values(
                id=run.id,
                kind=kind,
                status="running",
                started_at=datetime.datetime.now(datetime.UTC),
                source=source,
                document_type=document_type,
                started_by=started_by(),
                flow_run_id=str(flow_run.id) if flow_run.id else None,
                ocr_fingerprint=ocr.digest if ocr else None,
                fields_fingerprint=fields.digest if fields else None,
                fingerprint_parts={
                    "ocr": ocr.parts if ocr else None,
                    "fields": fields.parts if fields else None,
                },
                counts={},
            )
        )
    status = "failed"
    try:
        yield run
        status = "completed"
    finally:
        with engine.begin() as connection:
            connection.execute(
                update(RunRow)
                .where(RunRow.id == run.id)
                .values(
                    status=status,
                    finished_at=datetime.datetime.now(datetime.UTC),
                    counts=run.counts,
                )
            )
