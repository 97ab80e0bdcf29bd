"""field_reviews: people's answers that outlast re-runs; lines.kept: every line is stored

Revision ID: 0003_field_reviews_and_all_lines
Revises: 0002_documents_last_modified
Create Date: 2026-12-02 01:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_field_reviews_and_all_lines"
down_revision = "0002_documents_last_modified"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "field_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_uri", sa.String(length=2048), nullable=False),
        sa.Column("etag", sa.String(length=255), nullable=False),
        sa.Column("field_name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column("value_number", sa.Numeric(precision=20, scale=4), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("extracted_text", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(length=255), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_uri", "etag", "field_name"),
    )
    # Lines stored before this revision were the kept ones: earlier releases dropped the rest.
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kept", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_column("kept")
    op.drop_table("field_reviews")
