"""叫号: the numbers each kiosk reports for its queue of the day, its last report, and the
console's requests to call the next number.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_entries",
        sa.Column("kiosk_code", sa.String(4), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("taken_at", sa.String, nullable=False),
        sa.Column("called_at", sa.String, nullable=True),
        sa.Column("served_at", sa.String, nullable=True),
        sa.Column("reported_at", sa.String, nullable=False),
    )
    op.create_table(
        "queue_reports",
        sa.Column("kiosk_code", sa.String(4), primary_key=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("reported_at", sa.String, nullable=False),
        sa.Column("received_at", sa.String, nullable=False),
    )
    op.create_table(
        "queue_calls",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kiosk_code", sa.String(4), nullable=False, index=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("requested_by", sa.String, nullable=False),
        sa.Column("requested_at", sa.String, nullable=False),
        sa.Column("handled_at", sa.String, nullable=True),
    )


def downgrade() -> None:
    for table in ("queue_calls", "queue_reports", "queue_entries"):
        op.drop_table(table)
