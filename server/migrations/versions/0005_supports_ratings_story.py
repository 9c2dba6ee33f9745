"""附议 (supports of public issues); ratings keep their reason phrases and where they were given.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supports",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("ticket", sa.String(10), nullable=False, index=True),
        sa.Column("support_ticket", sa.String(10), nullable=False, unique=True),
        sa.Column("kiosk_code", sa.String(4), nullable=False),
        sa.Column("contact_name", sa.String, nullable=True),
        sa.Column("contact_phone", sa.String, nullable=True),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("received_at", sa.String, nullable=False),
    )
    # Constant defaults: SQLite adds the columns in place instead of copying the table.
    with op.batch_alter_table("ratings") as batch:
        batch.add_column(sa.Column("reasons", sa.String, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("channel", sa.String, nullable=False,
                                   server_default="kiosk"))


def downgrade() -> None:
    with op.batch_alter_table("ratings") as batch:
        batch.drop_column("channel")
        batch.drop_column("reasons")
    op.drop_table("supports")
