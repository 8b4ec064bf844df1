"""live boards and fair dispatch: a challenge's board version, a submission's last send time

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import podium.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("board_version", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sent_at", podium.db.types.UTCDateTime(timezone=True), nullable=True)
        )
    # what is in flight at the upgrade was sent already: keep fair dispatch from sending it again
    op.execute(
        "UPDATE submissions SET sent_at = updated_at "
        "WHERE status IN ('preparing', 'running', 'scoring')"
    )


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("sent_at")
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.drop_column("board_version")
