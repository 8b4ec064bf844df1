"""practice runs and the open catalogue of datasets and baselines

A practice run is a submission row with ``practice`` set: run on the phase's public sample,
never ranked, with its own quota. The catalogue needs no table (it is read from each
challenge's recorded public files and spec).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 01:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("practice", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("practice")
