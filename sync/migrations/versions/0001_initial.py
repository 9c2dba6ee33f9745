"""The first schema: submissions, outbox, ticket counter, sync cursor.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("ticket", sa.String(10), nullable=False, unique=True),
        sa.Column("kiosk_code", sa.String(4), nullable=False),
        sa.Column("category", sa.String, nullable=False),
        sa.Column("description", sa.String, nullable=False),
        sa.Column("place", sa.String, nullable=False, server_default=""),
        sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("contact_name", sa.String, nullable=True),
        sa.Column("contact_phone", sa.String, nullable=True),
        sa.Column("channel", sa.String, nullable=False, server_default="kiosk"),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("step", sa.String, nullable=False, server_default="say"),
        sa.Column("step_note", sa.String, nullable=False, server_default=""),
        sa.Column("step_changed_at", sa.String, nullable=True),
        sa.Column("server_id", sa.Integer, nullable=True),
        sa.Column("acknowledged_at", sa.String, nullable=True),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "submission_uuid",
            sa.String(36),
            sa.ForeignKey("submissions.uuid"),
            nullable=False,
            unique=True,
        ),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.Float, nullable=False, server_default="0"),
        sa.Column("last_error", sa.String, nullable=False, server_default=""),
    )
    op.create_table(
        "ticket_counter",
        sa.Column("kiosk_code", sa.String(4), primary_key=True),
        sa.Column("last_sequence", sa.Integer, nullable=False),
    )
    op.create_table(
        "sync_cursor",
        sa.Column("name", sa.String, primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("sync_cursor", "ticket_counter", "outbox", "submissions"):
        op.drop_table(table)
