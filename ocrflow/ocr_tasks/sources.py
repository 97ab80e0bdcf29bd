"""Source stage: list and fetch documents from an S3 prefix or a local folder.

Listings carry keys, ETags and sizes, never bytes; bytes are fetched one document at a time
when the engine is ready for it. S3 calls retry with backoff on throttling, 5xx answers and
dropped connections (botocore's adaptive mode). Endpoint and credentials come from a named
prefect-aws block (``aws-credentials/NAME``, ``minio-credentials/NAME`` or ``s3-bucket/NAME``)
when one is given, else from the standard AWS environment (``AWS_ENDPOINT_URL`` included), so
MinIO and other S3-compatible stores work. Only block names travel in parameters, never keys.
"""

from __future__ import annotations

import datetime
import hashlib
import mimetypes
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocrflow.ocr_tasks.errors import DocumentError
from ocrflow.schemas.records import SourceObject, as_utc

_S3_RETRIES = 8


class VanishedDocumentError(DocumentError):
    kind = "vanished"


@dataclass(frozen=True)
class SourceLocation:
    """``s3://bucket/prefix`` or a local folder."""

    bucket: str | None
    prefix: str
    root: Path | None

    @classmethod
    def parse(cls, source: str) -> SourceLocation:
        if source.startswith("s3://"):
            bucket, _, prefix = source.removeprefix("s3://").partition("/")
            if not bucket:
                raise ValueError(f"no bucket in {source!r}")
            return cls(bucket=bucket, prefix=prefix, root=None)
        root = Path(source).expanduser().resolve()
        if not root.is_dir():
            raise ValueError(f"{source!r} is neither an s3:// URI nor a folder")
        return cls(bucket=None, prefix="", root=root)

    @property
    def name(self) -> str:
        """The location written out in full: ``s3://bucket/prefix`` or the absolute folder."""
        return str(self.root) if self.root is not None else f"s3://{self.bucket}/{self.prefix}"


def s3_client(s3_block: str | None = None) -> Any:
    """A boto3 S3 client retrying throttles, 5xx and broken connections; credentials and
    endpoint from the named prefect-aws block, else from the AWS environment."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": _S3_RETRIES, "mode": "adaptive"})
    if not s3_block:
        return boto3.client("s3", config=config)
    credentials = _credentials_of(_load_block(s3_block))
    overrides = credentials.aws_client_parameters.get_params_override()
    if "config" in overrides:
        config = config.merge(overrides.pop("config"))
    return credentials.get_boto3_session().client("s3", config=config, **overrides)


def source_in_block(source: str, s3_block: str | None) -> str:
    """An ``s3-bucket`` block names a bucket and folder: a bare prefix is read inside them."""
    if not s3_block or source.startswith("s3://"):
        return source
    block = _load_block(s3_block)
    bucket_name = getattr(block, "bucket_name", None)
    if bucket_name is None:
        return source
    folder = str(getattr(block, "bucket_folder", "") or "").strip("/")
    prefix = "/".join(part for part in (folder, source.strip("/")) if part)
    return f"s3://{bucket_name}/{prefix}"


def _load_block(s3_block: str) -> Any:
    import prefect_aws  # noqa: F401  (registers the block types Block.load resolves)
    from prefect.blocks.core import Block

    if "/" not in s3_block:
        raise ValueError(
            f"block {s3_block!r}: name it as TYPE/NAME, e.g. aws-credentials/prod or "
            "s3-bucket/scans"
        )
    return Block.load(s3_block)


def _credentials_of(block: Any) -> Any:
    credentials = getattr(block, "credentials", block)
    if not hasattr(credentials, "get_boto3_session"):
        raise ValueError(f"block {type(block).__name__} holds no AWS or MinIO credentials")
    return credentials


def list_documents(
    location: SourceLocation,
    suffixes: Sequence[str],
    modified_since: datetime.datetime | None = None,
    client: Any = None,
) -> Iterator[SourceObject]:
    """Every document under the location whose name ends with one of ``suffixes`` (and
    modified at or after ``modified_since``, which is UTC when it has no zone)."""
    wanted = tuple(s.lower() for s in suffixes)
    modified_since = as_utc(modified_since) if modified_since is not None else None
    if location.root is not None:
        yield from _list_local(location.root, wanted, modified_since)
    else:
        assert location.bucket is not None
        yield from _list_s3(
            client or s3_client(), location.bucket, location.prefix, wanted, modified_since
        )


def list_pages(
    location: SourceLocation,
    suffixes: Sequence[str],
    modified_since: datetime.datetime | None = None,
    client: Any = None,
    page_size: int = 1000,
) -> Iterator[list[SourceObject]]:
    """:func:`list_documents` in lists of up to ``page_size``, each listed only when the one
    before has been dealt with: a bucket of any size is never held whole (S3 answers a
    listing request with at most 1000 keys; botocore retries each request)."""
    page: list[SourceObject] = []
    for source in list_documents(location, suffixes, modified_since, client):
        page.append(source)
        if len(page) == page_size:
            yield page
            page = []
    if page:
        yield page


def _list_s3(
    client: Any,
    bucket: str,
    prefix: str,
    suffixes: tuple[str, ...],
    modified_since: datetime.datetime | None,
) -> Iterator[SourceObject]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for item in page.get("Contents", []):
            key: str = item["Key"]
            if not key.lower().endswith(suffixes):
                continue
            modified = as_utc(item["LastModified"])
            if modified_since is not None and modified < modified_since:
                continue
            yield SourceObject(
                uri=f"s3://{bucket}/{key}",
                bucket=bucket,
                key=key,
                etag=item["ETag"].strip('"'),
                size=item["Size"],
                content_type=mimetypes.guess_type(key)[0],
                last_modified=modified,
            )


def _list_local(
    root: Path, suffixes: tuple[str, ...], modified_since: datetime.datetime | None
) -> Iterator[SourceObject]:
    seen: set[Path] = set()
    for path in sorted(root.rglob("*")):
        if not path.name.lower().endswith(suffixes) or not _inside(root, path):
            continue
        if not path.is_file() or path.resolve() in seen:
            continue
        seen.add(path.resolve())
        if modified_since is not None and _modified(path) < modified_since:
            continue
        yield local_source(path)


def _inside(root: Path, path: Path) -> bool:
    """True when the path, links followed, stays under the root (no ``..`` or symlink escape)."""
    try:
        return path.resolve(strict=True).is_relative_to(root)
    except (OSError, RuntimeError):
        return False


def _modified(path: Path) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC)


def local_source(path: Path) -> SourceObject:
    """A local file's identity: absolute path, and an MD5 of its bytes as the ETag."""
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "md5").hexdigest()
    content_type, _ = mimetypes.guess_type(path.name)
    return SourceObject(
        uri=str(path.resolve()),
        etag=digest,
        size=path.stat().st_size,
        content_type=content_type,
        last_modified=_modified(path),
    )


def fetch_document(source: SourceObject, client: Any = None) -> tuple[bytes, SourceObject]:
    """The object's bytes, and its identity as fetched (the ETag may have moved since listing)."""
    if source.bucket is None:
        return Path(source.uri).read_bytes(), source
    from botocore.exceptions import IncompleteReadError, ResponseStreamingError
    from urllib3.exceptions import ProtocolError

    s3 = client or s3_client()
    # botocore retries the request, not the reading of its body: a download cut mid-body
    # (or mid-way through an error answer's body, which surfaces as urllib3's own error)
    # is started again here.
    for attempt in range(1, _S3_RETRIES + 1):
        try:
            return _download(s3, source)
        except (ResponseStreamingError, IncompleteReadError, ProtocolError):
            if attempt == _S3_RETRIES:
                raise
            time.sleep(0.1 * 2**attempt)
    raise AssertionError("unreachable")


def _download(s3: Any, source: SourceObject) -> tuple[bytes, SourceObject]:
    try:
        response = s3.get_object(Bucket=source.bucket, Key=source.key)
    except s3.exceptions.NoSuchKey as error:
        raise VanishedDocumentError(
            source.uri, "the object was deleted after it was listed"
        ) from error
    data: bytes = response["Body"].read()
    # The version read, which may be newer than the one listed.
    read: dict[str, Any] = {"etag": response["ETag"].strip('"'), "size": len(data)}
    if response.get("LastModified") is not None:
        read["last_modified"] = as_utc(response["LastModified"])
    return data, source.model_copy(update=read)
