"""Communities, staff accounts and sessions, 理事 fields, step history, ratings, published
content, Open311 API keys; kiosks can be revoked and their keys rotated.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_SUBMISSION_COLUMNS = ("community_code", "voice_sha256", "affair_class", "responsible",
                       "deadline", "outcome_class", "promised_date", "closed_at")


def upgrade() -> None:
    with op.batch_alter_table("central_submissions") as batch:
        for name in _SUBMISSION_COLUMNS:
            batch.add_column(sa.Column(name, sa.String, nullable=True))
        batch.create_index("ix_central_submissions_community_code", ["community_code"])
    with op.batch_alter_table("feed_changes") as batch:
        batch.add_column(sa.Column("community_code", sa.String(20), nullable=True))
        batch.create_index("ix_feed_changes_community_code", ["community_code"])
    with op.batch_alter_table("kiosks") as batch:
        batch.add_column(sa.Column("community_code", sa.String(20), nullable=True))
        batch.add_column(sa.Column("revoked_at", sa.String, nullable=True))
        batch.add_column(sa.Column("key_rotated_at", sa.String, nullable=True))
        batch.create_index("ix_kiosks_community_code", ["community_code"])
    op.create_table(
        "communities",
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("street", sa.String, nullable=False),
    )
    op.create_table(
        "staff_accounts",
        sa.Column("username", sa.String(40), primary_key=True),
        sa.Column("display_name", sa.String, nullable=False),
        sa.Column("password_hash", sa.String, nullable=False),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("community_code", sa.String(20), nullable=True),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(40), nullable=False, index=True),
        sa.Column("csrf_token", sa.String, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False, index=True),
    )
    op.create_table(
        "staff_tokens",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(40), nullable=False, index=True),
        sa.Column("created_at", sa.String, nullable=False),
    )
    op.create_table(
        "step_notes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket", sa.String(10), nullable=False, index=True),
        sa.Column("step", sa.String, nullable=False),
        sa.Column("note", sa.String, nullable=False),
        sa.Column("staff", sa.String, nullable=True),
        sa.Column("at", sa.String, nullable=False),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("staff", sa.String(40), nullable=False),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("ticket", sa.String(10), nullable=True, index=True),
        sa.Column("at", sa.String, nullable=False),
    )
    op.create_table(
        "ratings",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("ticket", sa.String(10), nullable=False, index=True),
        sa.Column("kiosk_code", sa.String(4), nullable=False),
        sa.Column("score", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
    )
    op.create_table(
        "published_content",
        sa.Column("kind", sa.String, primary_key=True),
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("community_code", sa.String(20), primary_key=True),
        sa.Column("body", sa.String, nullable=False),
        sa.Column("published_at", sa.String, nullable=False),
        sa.Column("published_by", sa.String, nullable=True),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_sha256", sa.String(64), primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("revoked_at", sa.String, nullable=True),
    )


def downgrade() -> None:
    for table in ("api_keys", "published_content", "ratings", "audit_events", "step_notes",
                  "staff_tokens", "staff_sessions", "staff_accounts", "communities"):
        op.drop_table(table)
    with op.batch_alter_table("kiosks") as batch:
        batch.drop_index("ix_kiosks_community_code")
        for name in ("key_rotated_at", "revoked_at", "community_code"):
            batch.drop_column(name)
    with op.batch_alter_table("feed_changes") as batch:
        batch.drop_index("ix_feed_changes_community_code")
        batch.drop_column("community_code")
    with op.batch_alter_table("central_submissions") as batch:
        batch.drop_index("ix_central_submissions_community_code")
        for name in reversed(_SUBMISSION_COLUMNS):
            batch.drop_column(name)
