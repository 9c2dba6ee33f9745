"""代录: the staff member who entered a submission on the resident's behalf.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("central_submissions") as batch:
        batch.add_column(sa.Column("entered_by", sa.String, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("central_submissions") as batch:
        batch.drop_column("entered_by")
