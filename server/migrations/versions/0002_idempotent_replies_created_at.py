"""Index idempotent_replies.created_at, so old replies are pruned without a full scan.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # if_not_exists: a database adopted at 0001 may already have it from create_all.
    op.create_index("ix_idempotent_replies_created_at", "idempotent_replies", ["created_at"],
                    if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_idempotent_replies_created_at", table_name="idempotent_replies")
