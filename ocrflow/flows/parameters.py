"""The parameters of the ``ingest-documents`` flow, in a module of their own (pydantic only):
the command line and deployments validate them without importing Prefect or the engine."""

from __future__ import annotations

import datetime

from pydantic import BaseModel, Field, field_validator, model_validator

from ocrflow.schemas.records import as_utc

DEFAULT_SUFFIXES = [".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"]


class IngestParameters(BaseModel):
    """What to ingest; the Prefect UI shows these as the run form."""

    source: str = Field(
        description="s3://bucket/prefix, a folder on the worker, or a prefix inside the bucket "
        "of the s3-bucket block named below."
    )
    s3_block: str | None = Field(
        None,
        description="prefect-aws block with the S3 credentials and endpoint: "
        "aws-credentials/NAME, minio-credentials/NAME or s3-bucket/NAME. Empty: the AWS "
        "environment of the worker (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, ...).",
    )
    # A plain default (pydantic copies it per instance), not a factory: the Prefect UI's run
    # form shows only defaults that are in the JSON schema.
    suffixes: list[str] = Field(DEFAULT_SUFFIXES, description="File name endings to read.")
    modified_since: datetime.datetime | None = Field(
        None,
        description=(
            "Only objects modified at or after this time (ISO 8601, e.g. 2020-01-01 or "
            "2020-01-01T08:00:00+02:00); a time without a zone is UTC."
        ),
    )
    document_type: str | None = Field(
        None, description="receipt, invoice, form, or package.module:Class."
    )
    locale: str | None = Field(
        None,
        description=(
            "How the documents write amounts and dates and which languages their labels are "
            "in: de-DE, fr-FR, en-US, en-MY, auto (any supported). Empty: the setting, else "
            "the document type's."
        ),
    )
    min_confidence: float | None = Field(
        None, ge=0, le=1, description="Drop lines under this confidence (default: the setting)."
    )
    chunk_size: int = Field(50, gt=0, le=1000, description="Documents per OCR chunk.")
    force: bool = Field(False, description="Read documents again even if their ETag is stored.")
    chunk_deployment: str | None = Field(
        None,
        description=(
            "Run each chunk as a run of this deployment (e.g. ocr-documents/ocr-documents on "
            "the gpu pool), up to max_in_flight at once, so chunks spread over every worker; "
            "empty: in-process."
        ),
    )
    max_in_flight: int = Field(
        4,
        gt=0,
        le=1000,
        description=(
            "Chunk runs or tasks sent to the workers and not yet finished, at most; the next "
            "chunk is sent as one finishes (about the number of workers)."
        ),
    )
    chunk_timeout_seconds: float = Field(
        3600,
        gt=0,
        description=(
            "A chunk sent to the workers that has not finished this long after it was sent "
            "fails the ingest (its run id is named; so is the work pool when no worker took "
            "it)."
        ),
    )
    lock_timeout_seconds: float = Field(
        600,
        ge=0,
        description=(
            "How long to wait for another ingest of the same source into the same database "
            "to finish before failing (0: fail at once)."
        ),
    )

    task_workers: bool = Field(
        False,
        description=(
            "Send the chunks to the long-lived task workers (`ocrflow task-worker`), up to "
            "max_in_flight at once, which keep the models loaded between chunks; needs "
            "shared result storage."
        ),
    )

    @field_validator("modified_since")
    @classmethod
    def _naive_is_utc(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        # Listings carry aware times (S3's LastModified); a naive bound could not be compared.
        return as_utc(value) if value is not None else None

    @model_validator(mode="after")
    def _one_chunk_runner(self) -> IngestParameters:
        if self.chunk_deployment and self.task_workers:
            raise ValueError("choose chunk_deployment or task_workers, not both")
        return self
