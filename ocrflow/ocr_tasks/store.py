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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from ocrflow.ocr_tasks.errors import is_transient
from ocrflow.schemas.records import DocumentResult, FieldResult, SourceObject
from ocrflow.schemas.tables import DocumentRow, FieldRow, LineRow, PageRow

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

logger = logging.getLogger(__name__)
_T = TypeVar("_T")


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


def split_unchanged(
    sources: Sequence[SourceObject],
    stored_etags: Callable[[list[str]], Mapping[str, str | None]],
    force: bool = False,
) -> tuple[list[SourceObject], list[SourceObject]]:
    """``(to_read, unchanged)``: a source is unchanged when it is stored (as read) with the
    same ETag, and then skipped unless ``force``. ``stored_etags`` maps URIs to the stored
    ETags (:meth:`DocumentStore.stored_etags`); with ``force`` it is not asked."""
    if force:
        return list(sources), []
    known = stored_etags([source.uri for source in sources])
    to_read: list[SourceObject] = []
    unchanged: list[SourceObject] = []
    for source in sources:
        (unchanged if known.get(source.uri) == source.etag else to_read).append(source)
    return to_read, unchanged


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

    def save(self, document: DocumentResult) -> int:
        """Insert or replace one document and everything read from it; returns its id."""
        return _retrying(lambda: self._save_once(document))

    def _save_once(self, document: DocumentResult) -> int:
        with self._engine.begin() as connection:
            document_id = self._upsert_document(connection, document)
            if document_id is None:
                uri = _document_values(document)["source_uri"]
                logger.info("%s: a newer version is stored; this older one is not", uri)
                return self._id_of(connection, uri)
            for table in (LineRow, FieldRow, PageRow):
                connection.execute(delete(table).where(table.document_id == document_id))
            _insert_children(connection, document_id, document)
        return document_id

    @staticmethod
    def _id_of(connection: Connection, uri: str) -> int:
        query = select(DocumentRow.id).where(DocumentRow.source_uri == uri)
        document_id: int = connection.execute(query).scalar_one()
        return document_id

    def stored_etags(self, uris: Sequence[str]) -> dict[str, str | None]:
        """ETag of each URI already stored as read (failed documents are read again)."""
        return _retrying(lambda: self._stored_etags_once(uris))

    def _stored_etags_once(self, uris: Sequence[str]) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        with self._engine.connect() as connection:
            for chunk in _chunks(list(uris), _URIS_PER_QUERY):
                query = select(DocumentRow.source_uri, DocumentRow.etag).where(
                    DocumentRow.source_uri.in_(chunk), DocumentRow.status == "done"
                )
                found.update({uri: etag for uri, etag in connection.execute(query)})
        return found

    def outcome(self, uris: Sequence[str]) -> dict[str, Any]:
        """What is stored for these documents: done, failed (with reasons), pages, lines kept
        and dropped, fields needing review. Chunks read on other workers are summed from here."""
        return _retrying(lambda: self._outcome_once(uris))

    def _outcome_once(self, uris: Sequence[str]) -> dict[str, Any]:
        totals: dict[str, Any] = {
            "done": 0,
            "failed": [],
            "pages": 0,
            "lines_kept": 0,
            "lines_dropped": 0,
            "fields_needing_review": 0,
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
                totals["fields_needing_review"] += connection.execute(
                    select(func.count())
                    .select_from(FieldRow)
                    .where(FieldRow.document_id.in_(ids), FieldRow.status == "needs_review")
                ).scalar_one()
        return totals

    def _upsert_document(self, connection: Connection, document: DocumentResult) -> int | None:
        """The document row's id, inserted or replaced; None when the stored version is newer
        (then nothing is written)."""
        values = _document_values(document)
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


def _insert_children(connection: Connection, document_id: int, document: DocumentResult) -> None:
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
        }
        for page in document.pages
        for line in page.lines
    ]
    fields = [_field_values(document_id, document.document_type or "", f) for f in document.fields]
    for table, rows in ((PageRow, pages), (LineRow, lines), (FieldRow, fields)):
        if rows:
            connection.execute(insert(table), rows)


def _field_values(document_id: int, document_type: str, field: FieldResult) -> dict[str, Any]:
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
    }


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
