"""team profiles and password resets: a team's affiliation, country and category; one-time
password-reset codes issued by organisers and admins

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 23:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import podium.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("affiliation", _text(200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("country", _text(2), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("category", _text(32), nullable=False, server_default=""))
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", _text(64), nullable=False),
        sa.Column("created_at", podium.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", podium.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", podium.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenges.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["issued_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_resets_code_hash"), ["code_hash"], unique=True
        )
        batch_op.create_index(batch_op.f("ix_password_resets_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_resets_user_id"))
        batch_op.drop_index(batch_op.f("ix_password_resets_code_hash"))
    op.drop_table("password_resets")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("category")
        batch_op.drop_column("country")
        batch_op.drop_column("affiliation")
