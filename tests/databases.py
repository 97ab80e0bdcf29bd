"""Test databases: a SQLite file per test, and a PostgreSQL schema per test process.

PostgreSQL is the real server at 127.0.0.1:5432 (database ``test``, trust auth), present on
every developer machine and in CI. Each xdist worker gets its own schema so runs in parallel
never see each other's rows.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ocrflow.ocr_tasks.store import database_engine, upgrade_database
from ocrflow.schemas.tables import Base

POSTGRES_SERVER = os.environ.get(
    "OCRFLOW_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_schema_url(schema: str) -> str:
    """The test database with ``schema`` first on the search path."""
    return f"{POSTGRES_SERVER}?options=-csearch_path%3D{schema}"


def fresh_postgres_schema(schema: str) -> str:
    """A new, empty schema; its name carries the process id, so test runs started side by side
    (two developers' sessions, CI beside a local run) never share one."""
    schema = f"{schema}_{os.getpid()}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:
        pytest.fail(f"PostgreSQL test server not reachable at {POSTGRES_SERVER}: {error}")
    finally:
        admin.dispose()
    return postgres_schema_url(schema)


def emptied(url: str) -> str:
    """Delete every row (children first) so each test starts from an empty, migrated schema."""
    with database_engine(url).begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    return url


def drop_postgres_schema(url: str) -> None:
    schema = url.rpartition("%3D")[2]
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SET lock_timeout = '10s'"))
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    except Exception as error:  # a leftover schema is untidy, not a failure
        print(f"could not drop test schema {schema}: {error}")
    finally:
        admin.dispose()


@contextlib.contextmanager
def temporary_postgres_schema(stem: str, migrated: bool = True) -> Iterator[str]:
    """A new schema (migrated unless told), closed and dropped afterwards."""
    url = fresh_postgres_schema(stem)
    if migrated:
        upgrade_database(url)
    try:
        yield url
    finally:
        database_engine(url).dispose()
        drop_postgres_schema(url)


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str]:
    with temporary_postgres_schema(f"ocrflow_test_{worker_id}") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every storage test runs on both databases."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ocrflow.db'}"
        upgrade_database(url)
        yield url
    else:
        yield emptied(request.getfixturevalue("postgres_url"))
