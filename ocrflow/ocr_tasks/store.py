"""Store stage: documents with their pages, lines and fields, idempotently, in one transaction.

A document is keyed by its source URI. Storing it again (same or new ETag) replaces its
pages, lines and fields in the same transaction as the document row's upsert, so readers see
the old rows or the new ones, never a mix; two writers of one document serialise on that row.
A version older than the stored one (by the source's LastModified) never replaces it: a slow
reader of an old version that finishes last leaves the newer rows in place.
A transaction cut by a lost connection (a restarted or failed-over server, a killed backend)
is run again on a new connection: it is idempotent, so a commit whose answer was lost is
simply rewritten.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    make_url,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ocrflow.ocr_tasks.errors import is_transient
from ocrflow.ocr_tasks.runs import RunStamp, StoredVersion
from ocrflow.schemas.records import (
    DocumentResult,
    FieldResult,
    LineRef,
    LineResult,
    PageResult,
    SourceObject,
)
from ocrflow.schemas.tables import (
    DocumentRow,
    FieldReviewRow,
    FieldRow,
    LineRow,
    PageRow,
    RunFieldRow,
)

# SQLite writers wait for each other rather than fail at once.
_SQLITE_BUSY_SECONDS = 60
# A transaction cut by a lost connection is tried this many times in all, waiting
# 0.2, 0.4, 0.8 ... s between tries (about 6 s in all: a server restart or fail-over).
_TRANSACTION_ATTEMPTS = 6
_RETRY_FIRST_WAIT_SECONDS = 0.2
# Held by whoever migrates a PostgreSQL database, so that two workers starting at once on a
# fresh database do not both create the tables (the second then finds them at head).
_MIGRATION_LOCK_KEY = 0x6F637266_6C6F77  # "ocrflow"
# URIs per lookup query: a listing page of S3 (1000 keys) in one round trip, well inside
# SQLite's and PostgreSQL's limits on bound parameters.
_URIS_PER_QUERY = 1000
# Fields needing review listed by name in a run's outcome (all are counted): enough for the
# summary a person reads; the queue itself is `ocrflow review list`.
REVIEW_LISTED = 200

logger = logging.getLogger(__name__)
_T = TypeVar("_T")
#: Rows written outside any recorded run.
NO_RUN = RunStamp(run_id=None, ocr_fingerprint=None, fields_fingerprint=None)


@functools.cache
def database_engine(url: str) -> Engine:
    """One engine (connection pool) per URL and process."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": _SQLITE_BUSY_SECONDS})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def upgrade_database(url: str, revision: str = "head") -> None:
    """Apply every Alembic migration not yet applied (``ocrflow db upgrade``), up to
    ``revision``."""
    config = Config()
    config.set_main_option("script_location", str(files("ocrflow.schemas") / "migrations"))
    with database_engine(url).begin() as connection:
        _lock_for_migration(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _lock_for_migration(connection: Connection) -> None:
    """One migrator at a time, until its transaction ends; the others wait, then find the
    schema at head. SQLite's DDL does not open a transaction by itself, so take its write
    lock first."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _retrying(work: Callable[[], _T]) -> _T:
    """Run ``work`` (one whole transaction) again after a lost connection or a lost race."""
    for attempt in range(1, _TRANSACTION_ATTEMPTS + 1):
        try:
            return work()
        except DBAPIError as error:
            if attempt == _TRANSACTION_ATTEMPTS or not is_transient(error):
                raise
            wait = _RETRY_FIRST_WAIT_SECONDS * 2 ** (attempt - 1)
            logger.warning("database transaction cut (%s); retrying in %.1f s", error.orig, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")


class SourceBusyError(RuntimeError):
    """Another ingest of the same source holds its lock."""


@contextlib.contextmanager
def source_lock(
    url: str, source: str, timeout_seconds: float, poll_seconds: float = 1.0
) -> Iterator[None]:
    """Held by one ingest of ``source`` into the database at ``url`` at a time; another waits
    up to ``timeout_seconds``, then raises ``SourceBusyError``. Both kinds are released by the
    operating system or the server when their holder dies, so a killed run leaves no lock
    behind: a PostgreSQL session advisory lock, or for SQLite (one machine by nature) an
    exclusive ``flock`` on a file beside the database."""
    key = hashlib.sha256(source.encode()).digest()
    if url.startswith("postgresql"):
        lock = _advisory_lock(url, int.from_bytes(key[:8], "big", signed=True))
    else:
        lock = _file_lock(_lock_file(url, key.hex()[:16]))
    deadline = time.monotonic() + timeout_seconds
    with lock as try_lock:
        while not try_lock():
            if time.monotonic() >= deadline:
                raise SourceBusyError(
                    f"another ingest of {source} is running (it holds the source's lock); "
                    f"waited {timeout_seconds:g} s for it to finish"
                )
            time.sleep(poll_seconds)
        yield


@contextlib.contextmanager
def _advisory_lock(url: str, key: int) -> Iterator[Callable[[], bool]]:
    # Autocommit: a transaction open for the whole ingest would hold back vacuum.
    with database_engine(url).connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        held = False

        def try_lock() -> bool:
            nonlocal held
            query = text("SELECT pg_try_advisory_lock(:key)")
            held = bool(connection.execute(query, {"key": key}).scalar_one())
            return held

        try:
            yield try_lock
        finally:
            if held and not connection.invalidated:
                _unlock(connection, key)


def _unlock(connection: Connection, key: int) -> None:
    try:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    except DBAPIError as error:
        # The lock's session was cut (a restart, a terminated backend): the server released
        # the lock with it, and the run's own work is done or retried on its own connections.
        logger.warning("source lock's connection was lost (%s); the server released it", error)


def _lock_file(url: str, name: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return None  # a database of this process only: nobody to exclude
    path = Path(database).expanduser().resolve()
    return path.with_name(f"{path.name}.ingest-{name}.lock")


@contextlib.contextmanager
def _file_lock(path: Path | None) -> Iterator[Callable[[], bool]]:
    if path is None:
        yield lambda: True
        return
    import fcntl

    with path.open("a") as handle:

        def try_lock() -> bool:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        try:
            yield try_lock
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class DocumentStore:
    def __init__(self, url: str, upgrade: bool = True) -> None:
        self.url = url
        self._engine = database_engine(url)
        if upgrade:
            upgrade_database(url)

    def save(self, document: DocumentResult, stamp: RunStamp = NO_RUN) -> int:
        """Insert or replace one document and everything read from it, marked with the run
        and fingerprints of ``stamp``; returns its id."""
        return _retrying(lambda: self._save_once(document, stamp))

    def _save_once(self, document: DocumentResult, stamp: RunStamp) -> int:
        with self._engine.begin() as connection:
            document_id = self._upsert_document(connection, document, stamp)
            if document_id is None:
                uri = _document_values(document)["source_uri"]
                logger.info("%s: a newer version is stored; this older one is not", uri)
                return self._id_of(connection, uri)
            for table in (LineRow, FieldRow, PageRow):
                connection.execute(delete(table).where(table.document_id == document_id))
            _insert_children(connection, document_id, document, stamp.run_id)
            _insert_run_fields(connection, document, stamp.run_id)
        return document_id

    def save_fields(self, document: DocumentResult, stamp: RunStamp) -> bool:
        """Replace the fields of a stored document (and which of its lines passed the
        threshold), leaving its lines as read: a re-extraction. False when the stored version
        is no longer the one ``document`` was loaded from (a newer one was stored since)."""
        return _retrying(lambda: self._save_fields_once(document, stamp))

    def _save_fields_once(self, document: DocumentResult, stamp: RunStamp) -> bool:
        origin = document.origin
        assert origin is not None, "a re-extracted document is one loaded from the store"
        with self._engine.begin() as connection:
            document_id = connection.execute(
                update(DocumentRow)
                .where(
                    DocumentRow.source_uri == origin.uri,
                    DocumentRow.etag.is_not_distinct_from(origin.etag),
                )
                .values(
                    document_type=document.document_type,
                    fields_fingerprint=stamp.fields_fingerprint,
                    run_id=stamp.run_id,
                )
                .returning(DocumentRow.id)
            ).scalar_one_or_none()
            if document_id is None:
                return False
            _mark_kept(connection, document_id, document)
            connection.execute(delete(FieldRow).where(FieldRow.document_id == document_id))
            fields = [
                _field_values(document_id, document.document_type or "", f, stamp.run_id)
                for f in document.fields
            ]
            if fields:
                connection.execute(insert(FieldRow), fields)
            _insert_run_fields(connection, document, stamp.run_id)
        return True

    def load(self, uris: Sequence[str]) -> list[DocumentResult]:
        """The stored documents (read, not failed) with these URIs, as they were stored: every
        line of every page, the fields, and the version read (``origin``)."""
        return _retrying(lambda: self._load_once(uris))

    def _load_once(self, uris: Sequence[str]) -> list[DocumentResult]:
        with Session(self._engine) as session:
            rows = session.scalars(
                select(DocumentRow)
                .where(DocumentRow.source_uri.in_(list(uris)), DocumentRow.status == "done")
                .order_by(DocumentRow.source_uri)
            )
            documents = {row.id: row for row in rows}
            ids = list(documents)
            pages = _grouped(session, select(PageRow).where(PageRow.document_id.in_(ids)))
            lines = _grouped(session, select(LineRow).where(LineRow.document_id.in_(ids)))
            fields = _grouped(session, select(FieldRow).where(FieldRow.document_id.in_(ids)))
            return [
                _loaded(row, pages.get(i, []), lines.get(i, []), fields.get(i, []))
                for i, row in documents.items()
            ]

    def stored_uris(self, prefix: str | None = None, page_size: int = 500) -> Iterator[list[str]]:
        """URIs of the stored documents that were read, under ``prefix``, a page at a time."""
        after = ""
        while True:
            query = (
                select(DocumentRow.source_uri)
                .where(DocumentRow.status == "done", DocumentRow.source_uri > after)
                .order_by(DocumentRow.source_uri)
                .limit(page_size)
            )
            if prefix:
                query = query.where(DocumentRow.source_uri.startswith(prefix, autoescape=True))
            with self._engine.connect() as connection:
                page = list(connection.execute(query).scalars())
            if not page:
                return
            yield page
            after = page[-1]

    @staticmethod
    def _id_of(connection: Connection, uri: str) -> int:
        query = select(DocumentRow.id).where(DocumentRow.source_uri == uri)
        document_id: int = connection.execute(query).scalar_one()
        return document_id

    def stored_versions(self, uris: Sequence[str]) -> dict[str, StoredVersion]:
        """ETag and fingerprints of each URI stored as read (failed documents are read
        again)."""
        return _retrying(lambda: self._stored_versions_once(uris))

    def _stored_versions_once(self, uris: Sequence[str]) -> dict[str, StoredVersion]:
        found: dict[str, StoredVersion] = {}
        with self._engine.connect() as connection:
            for chunk in _chunks(list(uris), _URIS_PER_QUERY):
                query = select(
                    DocumentRow.source_uri,
                    DocumentRow.etag,
                    DocumentRow.ocr_fingerprint,
                    DocumentRow.fields_fingerprint,
                ).where(DocumentRow.source_uri.in_(chunk), DocumentRow.status == "done")
                for uri, *version in connection.execute(query):
                    found[uri] = StoredVersion(*version)
        return found

    def outcome(self, uris: Sequence[str]) -> dict[str, Any]:
        """What is stored for these documents: done, failed (with reasons), pages, lines kept
        and dropped, and the fields needing review that nobody has answered yet (at most
        ``REVIEW_LISTED`` of them listed). Chunks read on other workers are summed from here."""
        return _retrying(lambda: self._outcome_once(uris))

    def _outcome_once(self, uris: Sequence[str]) -> dict[str, Any]:
        from ocrflow.ocr_tasks.reviews import applies_to_stored_field

        totals: dict[str, Any] = {
            "done": 0,
            "failed": [],
            "pages": 0,
            "lines_kept": 0,
            "lines_dropped": 0,
            "fields_needing_review": 0,
            "review": [],
        }
        with self._engine.connect() as connection:
            for chunk in _chunks(list(uris), _URIS_PER_QUERY):
                rows = connection.execute(
                    select(
                        DocumentRow.id,
                        DocumentRow.source_uri,
                        DocumentRow.status,
                        DocumentRow.error,
                    ).where(DocumentRow.source_uri.in_(chunk))
                ).all()
                ids = [row.id for row in rows]
                totals["done"] += sum(row.status == "done" for row in rows)
                totals["failed"] += [
                    (r.source_uri, r.error or "") for r in rows if r.status != "done"
                ]
                pages = connection.execute(
                    select(
                        func.count(),
                        func.coalesce(func.sum(PageRow.lines_kept), 0),
                        func.coalesce(func.sum(PageRow.lines_dropped), 0),
                    ).where(PageRow.document_id.in_(ids))
                ).one()
                totals["pages"] += pages[0]
                totals["lines_kept"] += int(pages[1])
                totals["lines_dropped"] += int(pages[2])
                unanswered = connection.execute(
                    select(
                        DocumentRow.source_uri,
                        FieldRow.name,
                        FieldRow.value_text,
                        FieldRow.raw_text,
                        FieldRow.reason,
                    )
                    .join(DocumentRow, FieldRow.document_id == DocumentRow.id)
                    .outerjoin(FieldReviewRow, applies_to_stored_field())
                    .where(
                        FieldRow.document_id.in_(ids),
                        FieldRow.status == "needs_review",
                        FieldReviewRow.id.is_(None),
                    )
                    .order_by(DocumentRow.source_uri, FieldRow.id)
                ).all()
                totals["fields_needing_review"] += len(unanswered)
                room = REVIEW_LISTED - len(totals["review"])
                totals["review"] += [
                    (r.source_uri, r.name, r.value_text or r.raw_text, r.reason or "")
                    for r in unanswered[: max(room, 0)]
                ]
        return totals

    def _upsert_document(
        self, connection: Connection, document: DocumentResult, stamp: RunStamp
    ) -> int | None:
        """The document row's id, inserted or replaced; None when the stored version is newer
        (then nothing is written)."""
        values = _document_values(document) | {
            "run_id": stamp.run_id,
            "ocr_run_id": stamp.run_id,
            "ocr_fingerprint": stamp.ocr_fingerprint,
            "fields_fingerprint": stamp.fields_fingerprint,
        }
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(DocumentRow).values(**values)
        incoming = statement.excluded.last_modified
        statement = statement.on_conflict_do_update(
            index_elements=[DocumentRow.source_uri],
            set_={k: v for k, v in values.items() if k != "source_uri"},
            # Either time unknown (rows of earlier releases, sources without one): replace.
            where=or_(
                DocumentRow.last_modified.is_(None),
                incoming.is_(None),
                DocumentRow.last_modified <= incoming,
            ),
        ).returning(DocumentRow.id)
        document_id: int | None = connection.execute(statement).scalar_one_or_none()
        return document_id


def _document_values(document: DocumentResult) -> dict[str, Any]:
    origin = document.origin
    return {
        "source_uri": origin.uri if origin else document.source,
        "bucket": origin.bucket if origin else None,
        "key": origin.key if origin else None,
        "etag": origin.etag if origin else None,
        "version_id": origin.version_id if origin else None,
        "size": origin.size if origin else None,
        "content_type": origin.content_type if origin else None,
        "last_modified": origin.last_modified if origin else None,
        "page_count": len(document.pages),
        "document_type": document.document_type,
        "status": document.status,
        "error_kind": document.error_kind,
        "error": document.error,
        "model_set": document.model_set,
        "runtime": document.runtime,
        "ocrflow_version": document.ocrflow_version,
        "seconds": document.seconds,
        "stored_at": datetime.datetime.now(datetime.UTC),
    }


def _insert_children(
    connection: Connection, document_id: int, document: DocumentResult, run_id: str | None
) -> None:
    pages = [
        {
            "document_id": document_id,
            "number": page.number,
            "width": page.width,
            "height": page.height,
            "orientation": page.orientation,
            "lines_kept": sum(line.kept for line in page.lines),
            "lines_dropped": page.lines_dropped,
        }
        for page in document.pages
    ]
    lines = [
        {
            "document_id": document_id,
            "page": page.number,
            "line_order": line.order,
            "text": line.text,
            "confidence": line.confidence,
            "polygon": [list(point) for point in line.polygon],
            "angle": line.angle,
            "origin": line.origin,
            "kept": line.kept,
            "run_id": run_id,
            "char_confidences": line.char_confidences,
        }
        for page in document.pages
        for line in page.lines
    ]
    fields = [
        _field_values(document_id, document.document_type or "", f, run_id) for f in document.fields
    ]
    for table, rows in ((PageRow, pages), (LineRow, lines), (FieldRow, fields)):
        if rows:
            connection.execute(insert(table), rows)


def _field_values(
    document_id: int, document_type: str, field: FieldResult, run_id: str | None
) -> dict[str, Any]:
    value = field.value
    is_number = isinstance(value, int | Decimal) and not isinstance(value, bool)
    return {
        "document_id": document_id,
        "document_type": document_type,
        "name": field.name,
        "raw_text": field.raw_text,
        "value_text": None if value is None else str(value),
        "value_number": Decimal(value) if is_number else None,  # type: ignore[arg-type]
        "value_date": value if isinstance(value, datetime.date) else None,
        "confidence": field.confidence,
        "status": field.status,
        "reason": field.reason,
        "source_lines": [ref.model_dump() for ref in field.lines],
        "run_id": run_id,
    }


def _insert_run_fields(
    connection: Connection, document: DocumentResult, run_id: str | None
) -> None:
    """Keep this run's values of the document's fields, for ``ocrflow compare``."""
    if run_id is None or not document.fields:
        return
    uri = _document_values(document)["source_uri"]
    rows = [
        {
            "run_id": run_id,
            "source_uri": uri,
            "document_type": document.document_type,
            "name": f.name,
            "raw_text": f.raw_text,
            "value_text": None if f.value is None else str(f.value),
            "confidence": f.confidence,
            "status": f.status,
        }
        for f in document.fields
    ]
    connection.execute(insert(RunFieldRow), rows)


def _mark_kept(connection: Connection, document_id: int, document: DocumentResult) -> None:
    """Store which lines pass the re-extraction's threshold, where that changed."""
    stored = {
        (row.page, row.line_order): (row.id, row.kept)
        for row in connection.execute(
            select(LineRow.id, LineRow.page, LineRow.line_order, LineRow.kept).where(
                LineRow.document_id == document_id
            )
        )
    }
    for page in document.pages:
        for line in page.lines:
            line_id, kept = stored.get((page.number, line.order), (None, line.kept))
            if line_id is not None and kept != line.kept:
                connection.execute(
                    update(LineRow).where(LineRow.id == line_id).values(kept=line.kept)
                )
        connection.execute(
            update(PageRow)
            .where(PageRow.document_id == document_id, PageRow.number == page.number)
            .values(
                lines_kept=sum(line.kept for line in page.lines),
                lines_dropped=sum(not line.kept for line in page.lines),
            )
        )


def _grouped(session: Session, query: Any) -> dict[int, list[Any]]:
    by_document: dict[int, list[Any]] = {}
    for row in session.scalars(query):
        by_document.setdefault(row.document_id, []).append(row)
    return by_document


def _loaded(
    row: DocumentRow, pages: list[PageRow], lines: list[LineRow], fields: list[FieldRow]
) -> DocumentResult:
    """A stored document as the engine returned it (and the extractor after it)."""
    by_page: dict[int, list[LineResult]] = {}
    for line in sorted(lines, key=lambda line: (line.page, line.line_order)):
        by_page.setdefault(line.page, []).append(
            LineResult(
                order=line.line_order,
                text=line.text,
                confidence=line.confidence,
                char_confidences=line.char_confidences or [],
                polygon=[(float(x), float(y)) for x, y in line.polygon],
                angle=line.angle,
                origin=line.origin,
                kept=line.kept,
            )
        )
    return DocumentResult(
        source=row.source_uri,
        model_set=row.model_set,
        runtime=row.runtime,
        seconds=row.seconds,
        document_type=row.document_type,
        ocrflow_version=row.ocrflow_version,
        origin=SourceObject(
            uri=row.source_uri,
            bucket=row.bucket,
            key=row.key,
            etag=row.etag,
            version_id=row.version_id,
            size=row.size,
            content_type=row.content_type,
            last_modified=row.last_modified,
        ),
        pages=[
            PageResult(
                number=page.number,
                width=page.width,
                height=page.height,
                orientation=page.orientation,
                lines=by_page.get(page.number, []),
            )
            for page in sorted(pages, key=lambda page: page.number)
        ],
        fields=[_loaded_field(f) for f in sorted(fields, key=lambda f: f.id)],
    )


def _loaded_field(row: FieldRow) -> FieldResult:
    value: Any = next(
        (v for v in (row.value_date, row.value_number, row.value_text) if v is not None), None
    )
    if row.value_number is not None and row.value_text is not None:
        # As written (16.50), not as the column's scale reads it back (16.5000).
        with contextlib.suppress(ArithmeticError):
            value = Decimal(row.value_text)
    return FieldResult(
        name=row.name,
        raw_text=row.raw_text,
        value=value,
        confidence=row.confidence,
        lines=[LineRef(**ref) for ref in row.source_lines],
        status=row.status,
        reason=row.reason,
    )


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
