"""lines.origin: whether a line was OCR'd or taken from the PDF's text layer

Revision ID: 0004_lines_origin
Revises: 0003_field_reviews_and_all_lines
Create Date: 2026-12-02 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_lines_origin"
down_revision = "0003_field_reviews_and_all_lines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every line stored before this revision was OCR'd.
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=16), server_default="ocr", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_column("origin")
