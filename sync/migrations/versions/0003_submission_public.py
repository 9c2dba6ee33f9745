"""公开: whether the resident lets others see the submission (private until chosen).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant default lets SQLite add the column in place: an expression (sa.false()) would
    # make the batch copy the table, which the outbox's foreign key forbids.
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("public", sa.Boolean, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("public")
