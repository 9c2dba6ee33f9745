"""公开: whether the resident lets others see a submission (private unless chosen).

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
    # A constant default: SQLite adds the column in place instead of copying the whole table.
    with op.batch_alter_table("central_submissions") as batch:
        batch.add_column(sa.Column("public", sa.Boolean, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("central_submissions") as batch:
        batch.drop_column("public")
