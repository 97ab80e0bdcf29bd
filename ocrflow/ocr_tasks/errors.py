"""Typed errors for documents that cannot be read (each names the file and the reason), and
which errors are worth trying again."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

# Serialisation failure and deadlock: the transaction lost a race and can simply run again;
# the server shut down, crashed or is starting (the connection is gone, the next one works).
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "57P01", "57P02", "57P03"})
CONNECTION_SQLSTATE_CLASS = "08"  # connection exceptions: lost, refused, broken
# S3 answers that a retry will not change.
PERMANENT_S3_CODES = frozenset({"NoSuchBucket", "AccessDenied", "InvalidAccessKeyId"})


def is_transient(error: BaseException) -> bool:
    """Whether the same call may succeed when tried again.

    A database error is transient when its connection was lost or its transaction lost a race
    (``RETRYABLE_SQLSTATES``); a ``ValueError`` (a bad URI, a bad value) or a ``TypeError``
    (a bug: it fails the same way every time) never is; anything else (an S3 or network
    hiccup) is, unless S3 answered with one of ``PERMANENT_S3_CODES``.
    """
    if isinstance(error, DBAPIError):
        sqlstate = str(getattr(error.orig, "sqlstate", None) or "")
        return (
            error.connection_invalidated
            or sqlstate in RETRYABLE_SQLSTATES
            or sqlstate.startswith(CONNECTION_SQLSTATE_CLASS)
        )
    if isinstance(error, ValueError | TypeError):
        return False
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code", "") if isinstance(response, dict) else ""
    return code not in PERMANENT_S3_CODES


class DocumentError(Exception):
    """A document that cannot be read; the run records it as failed and goes on."""

    kind = "unreadable"

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class UnexpectedDocumentError(DocumentError):
    """Any other exception met on one document (a library's error in layout, a refused
    download, a row the database would not take): that document fails, the others go on."""

    kind = "unexpected"

    @classmethod
    def of(cls, source: str, error: BaseException) -> UnexpectedDocumentError:
        return cls(source, describe(error))


def describe(error: BaseException) -> str:
    """``TypeName: message``; a database error without its SQL and parameters (long, and
    they may hold a document's text)."""
    message = str(error.orig) if isinstance(error, DBAPIError) else str(error)
    first_line = message.strip().splitlines()[0] if message.strip() else ""
    name = type(error).__name__
    return f"{name}: {first_line}" if first_line else name


class EmptyDocumentError(DocumentError):
    kind = "empty"


class UnsupportedFormatError(DocumentError):
    kind = "unsupported_format"


class CorruptDocumentError(DocumentError):
    kind = "corrupt"


class EncryptedDocumentError(DocumentError):
    kind = "encrypted"


class DocumentTooLargeError(DocumentError):
    kind = "too_large"


class ModelNotFoundError(RuntimeError):
    """A model set or model file that is not installed or not where it was said to be."""
