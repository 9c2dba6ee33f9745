"""叫号: the numbers taken for face-to-face 说事, a day's queue at a time.

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
        "queue_numbers",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("taken_at", sa.String, nullable=False),
        sa.Column("called_at", sa.String, nullable=True),
        sa.Column("served_at", sa.String, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("queue_numbers")
