"""Sources: S3 prefixes (moto server over HTTP, real boto3) and local folders."""

from __future__ import annotations

import datetime
import os
import uuid
from pathlib import Path

import pytest

from ocrflow.ocr_tasks.sources import (
    SourceLocation,
    VanishedDocumentError,
    fetch_document,
    list_documents,
    s3_client,
)
from tests.conftest import SAMPLES

SUFFIXES = (".png", ".jpg", ".pdf", ".tif")


@pytest.fixture
def bucket(s3_env: str) -> str:
    name = f"scans-{uuid.uuid4().hex[:8]}"
    s3_client().create_bucket(Bucket=name)
    return name


def test_lists_a_prefix_across_pages_of_results(bucket: str) -> None:
    client = s3_client()
    for n in range(1105):  # more than one list_objects_v2 page (1000 keys)
        client.put_object(Bucket=bucket, Key=f"in/{n:05d}.png", Body=b"x")
    client.put_object(Bucket=bucket, Key="in/notes.txt", Body=b"x")
    client.put_object(Bucket=bucket, Key="elsewhere/a.png", Body=b"x")
    listed = list(list_documents(SourceLocation.parse(f"s3://{bucket}/in/"), SUFFIXES))
    assert len(listed) == 1105
    assert listed[0].uri == f"s3://{bucket}/in/00000.png" and listed[0].etag and listed[0].size == 1


def test_fetch_returns_bytes_and_the_etag_as_fetched(bucket: str) -> None:
    client = s3_client()
    data = (SAMPLES / "receipt.png").read_bytes()
    client.put_object(Bucket=bucket, Key="scan with spaces/ünïcode.png", Body=data)
    [listed] = list_documents(SourceLocation.parse(f"s3://{bucket}"), SUFFIXES)
    assert listed.key == "scan with spaces/ünïcode.png"
    client.put_object(Bucket=bucket, Key=listed.key, Body=data + b"changed")
    fetched, origin = fetch_document(listed)
    assert fetched.endswith(b"changed") and origin.etag != listed.etag


def test_an_object_deleted_after_listing_is_a_document_error(bucket: str) -> None:
    client = s3_client()
    client.put_object(Bucket=bucket, Key="a.png", Body=b"x")
    [listed] = list_documents(SourceLocation.parse(f"s3://{bucket}"), SUFFIXES)
    client.delete_object(Bucket=bucket, Key="a.png")
    with pytest.raises(VanishedDocumentError, match="deleted after it was listed"):
        fetch_document(listed)


def test_modified_since(bucket: str) -> None:
    s3_client().put_object(Bucket=bucket, Key="a.png", Body=b"x")
    future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    assert list(list_documents(SourceLocation.parse(f"s3://{bucket}"), SUFFIXES, future)) == []


def test_local_folder_never_escapes_its_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"secret")
    (root / "sub" / "scan.png").write_bytes(b"scan")
    os.symlink(outside, root / "link-out.png")
    os.symlink(root / "sub" / "scan.png", root / "link-in.png")
    listed = [Path(s.uri).name for s in list_documents(SourceLocation.parse(str(root)), SUFFIXES)]
    assert listed == ["scan.png"]  # the inside link is the same document, listed once


def test_bad_sources_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="neither an s3:// URI nor a folder"):
        SourceLocation.parse(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="no bucket"):
        SourceLocation.parse("s3://")


def test_local_folder_links_loops_and_dotted_names(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.png").write_bytes(b"secret")
    for name in ("..scan.png", "scan..png", "...png"):  # dots in a name are only a name
        (root / "sub" / name).write_bytes(name.encode())
    os.symlink("../../outside/secret.png", root / "sub" / "up.png")  # relative `..` link
    os.symlink(tmp_path / "outside", root / "linked-dir")  # a folder outside
    os.symlink(root, root / "sub" / "loop")  # a folder loop
    os.symlink(root / "b.png", root / "a.png")  # a link loop: a → b → a
    os.symlink(root / "a.png", root / "b.png")
    os.symlink(root / "gone.png", root / "dangling.png")
    via_dots = SourceLocation.parse(str(root / "sub" / ".."))
    assert via_dots.root == root.resolve()
    listed = [Path(s.uri) for s in list_documents(via_dots, SUFFIXES)]
    assert sorted(p.name for p in listed) == ["...png", "..scan.png", "scan..png"]
    assert all(p.is_relative_to(root) for p in listed)
