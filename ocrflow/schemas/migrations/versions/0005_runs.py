"""runs: every ingest, extract and re-extraction, with the fingerprints of what decided it

Documents, lines and fields name the run that produced them; run_fields keeps each run's
field values, so that two runs can be compared after a later one replaced the stored rows.
Rows stored before this revision name no run and carry no fingerprint.

Revision ID: 0005_runs
Revises: 0004_lines_origin
Create Date: 2026-12-02 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_runs"
down_revision = "0004_lines_origin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("document_type", sa.String(length=128), nullable=True),
        sa.Column("started_by", sa.String(length=255), nullable=False),
        sa.Column("flow_run_id", sa.String(length=36), nullable=True),
        sa.Column("ocr_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("fields_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("fingerprint_parts", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
    )
    op.create_index("ix_runs_started_at", "runs", ["started_at"])
    op.create_table(
        "run_fields",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("source_uri", sa.String(length=2048), nullable=False),
        sa.Column("document_type", sa.String(length=128), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("raw_text", sa.Text(), nullable=False),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
    )
    op.create_index("ix_run_fields_run_source", "run_fields", ["run_id", "source_uri"])
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("ocr_run_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("ocr_fingerprint", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("fields_fingerprint", sa.String(length=64), nullable=True))
    for table in ("lines", "fields"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("run_id", sa.String(length=36), nullable=True))
    # Each character's confidence: fields found again from stored lines weigh them as the
    # first extraction did.
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("char_confidences", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_column("char_confidences")
    for table in ("lines", "fields"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("run_id")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        for column in ("fields_fingerprint", "ocr_fingerprint", "ocr_run_id", "run_id"):
            batch_op.drop_column(column)
    op.drop_index("ix_run_fields_run_source", table_name="run_fields")
    op.drop_table("run_fields")
    op.drop_index("ix_runs_started_at", table_name="runs")
    op.drop_table("runs")
