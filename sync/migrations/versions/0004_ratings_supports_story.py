"""The story of a ticket from the feed, ratings (评事) and 附议 waiting to be sent.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:  # nullable, no default: added in place
        batch.add_column(sa.Column("story", sa.String, nullable=True))
    op.create_table(
        "ratings",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("ticket", sa.String(10), nullable=False, index=True),
        sa.Column("score", sa.String, nullable=False),
        sa.Column("reasons", sa.String, nullable=False),
        sa.Column("channel", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("last_error", sa.String, nullable=False),
        sa.Column("sent_at", sa.String, nullable=True),
        sa.Column("quarantined", sa.Boolean, nullable=False),
    )
    op.create_table(
        "supports",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("ticket", sa.String(10), nullable=False, index=True),
        sa.Column("support_ticket", sa.String(10), nullable=False, unique=True),
        sa.Column("kiosk_code", sa.String(4), nullable=False),
        sa.Column("contact_name", sa.String, nullable=True),
        sa.Column("contact_phone", sa.String, nullable=True),
        sa.Column("masked_phone", sa.String, nullable=False),
        sa.Column("category", sa.String, nullable=False),
        sa.Column("description", sa.String, nullable=False),
        sa.Column("step", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("acknowledged_at", sa.String, nullable=True),
        sa.Column("purged_at", sa.String, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("last_error", sa.String, nullable=False),
        sa.Column("quarantined", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("supports")
    op.drop_table("ratings")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("story")
