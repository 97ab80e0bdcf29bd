"""Typed errors for documents that cannot be read. Each names the file and the reason."""

from __future__ import annotations


class DocumentError(Exception):
    """A document that cannot be read; the run records it as failed and goes on."""

    kind = "unreadable"

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


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
