"""The central server's first schema.

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
        "central_submissions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("ticket", sa.String(10), nullable=False, unique=True),
        sa.Column("kiosk_code", sa.String(4), nullable=False, index=True),
        sa.Column("category", sa.String, nullable=False),
        sa.Column("description", sa.String, nullable=False),
        sa.Column("place", sa.String, nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("contact_name", sa.String, nullable=True),
        sa.Column("contact_phone", sa.String, nullable=True),
        sa.Column("channel", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("received_at", sa.String, nullable=False),
        sa.Column("step", sa.String, nullable=False),
        sa.Column("step_note", sa.String, nullable=False),
        sa.Column("step_changed_at", sa.String, nullable=False),
    )
    op.create_table(
        "feed_changes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kiosk_code", sa.String(4), nullable=True, index=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("key", sa.String, nullable=False),
        sa.Column("body", sa.String, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
    )
    op.create_table(
        "kiosks",
        sa.Column("code", sa.String(4), primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("public_key", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("heartbeat", sa.String, nullable=True),
        sa.Column("heartbeat_at", sa.String, nullable=True),
    )
    op.create_table(
        "seen_nonces",
        sa.Column("nonce", sa.String, primary_key=True),
        sa.Column("kiosk_code", sa.String, nullable=False),
        sa.Column("seen_at", sa.Double, nullable=False, index=True),
    )
    op.create_table(
        "idempotent_replies",
        sa.Column("kiosk_code", sa.String(4), primary_key=True),
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("request_sha256", sa.String, nullable=False),
        sa.Column("body", sa.String, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.create_table(
        "quarantine_records",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("kiosk_code", sa.String, nullable=False),
        sa.Column("ticket", sa.String, nullable=False),
        sa.Column("reason", sa.String, nullable=False),
        sa.Column("reported_at", sa.String, nullable=False),
    )
    op.create_table(
        "attachments",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("kiosk_code", sa.String, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("received", sa.Integer, nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    for table in ("attachments", "quarantine_records", "idempotent_replies", "seen_nonces",
                  "kiosks", "feed_changes", "central_submissions"):
        op.drop_table(table)
