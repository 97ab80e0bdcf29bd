"""The parameters of the ``ingest-documents`` flow, in a module of their own (pydantic only):
the command line and deployments validate them without importing Prefect or the engine."""

from __future__ import annotations

import datetime

from pydantic import BaseModel, Field, model_validator

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
        None, description="Only objects modified at or after this time."
    )
    document_type: str | None = Field(
        None, description="receipt, invoice, form, or package.module:Class."
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
            "the gpu pool), all at once, so chunks spread over every worker; empty: in-process."
        ),
    )

    task_workers: bool = Field(
        False,
        description=(
            "Send every chunk to the long-lived task workers (`ocrflow task-worker`), which "
            "keep the models loaded between chunks; needs shared result storage."
        ),
    )

    @model_validator(mode="after")
    def _one_chunk_runner(self) -> IngestParameters:
        if self.chunk_deployment and self.task_workers:
            raise ValueError("choose chunk_deployment or task_workers, not both")
        return self
