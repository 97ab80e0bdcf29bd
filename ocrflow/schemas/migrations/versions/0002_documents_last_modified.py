"""documents.last_modified: when the stored version of a document was written

Revision ID: 0002_documents_last_modified
Revises: 0001
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_documents_last_modified"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: rows stored before this revision do not know it (any version may replace them).
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_modified", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("last_modified")
