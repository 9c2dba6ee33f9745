"""Quarantine, privacy purge, sync state and pulled catalog.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _mask(phone: str | None) -> str:
    # A copy of sync.privacy.mask_phone as it was: a migration must not change when app code does.
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if not digits:
        return "匿名"
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "*" * len(digits)


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("masked_phone", sa.String, nullable=False,
                                   server_default="匿名"))
        batch.add_column(sa.Column("voice_path", sa.String, nullable=True))
        batch.add_column(sa.Column("voice_sha256", sa.String, nullable=True))
        batch.add_column(sa.Column("purged_at", sa.String, nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("quarantined", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("quarantine_reported", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "sync_state",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("value", sa.String, nullable=False),
    )
    op.create_table(
        "catalog",
        sa.Column("kind", sa.String, primary_key=True),
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("body", sa.String, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT uuid, contact_phone, acknowledged_at FROM submissions"))
    for uuid, phone, acknowledged_at in rows.fetchall():
        conn.execute(sa.text("UPDATE submissions SET masked_phone = :m WHERE uuid = :u"),
                     {"m": _mask(phone), "u": uuid})
        if acknowledged_at is not None:  # the server has it: personal data goes now
            conn.execute(sa.text("UPDATE submissions SET contact_name = NULL, contact_phone = NULL,"
                                 " purged_at = :t WHERE uuid = :u"),
                         {"t": acknowledged_at, "u": uuid})


def downgrade() -> None:
    op.drop_table("catalog")
    op.drop_table("sync_state")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("quarantine_reported")
        batch.drop_column("quarantined")
    with op.batch_alter_table("submissions") as batch:
        for column in ("purged_at", "voice_sha256", "voice_path", "masked_phone"):
            batch.drop_column(column)
