"""editions, host organisations, rounds and advancement

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 01:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import podium.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def _index(table: str, *columns: str, unique: bool = False) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=unique)


def _fk(column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [target], ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "editions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", _text(64), nullable=False),
        sa.Column("title", _text(200), nullable=False),
        sa.Column("summary", _text(2000), nullable=False),
        sa.Column("created_at", podium.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("editions", "slug", unique=True)
    op.create_table(
        "host_organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _text(200), nullable=False),
        sa.Column("contact_name", _text(200), nullable=False),
        sa.Column("contact_email", _text(254), nullable=False),
        sa.Column("url", _text(500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("name", _text(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("start", podium.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", podium.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("entry", _enum("roundentry", "open", "advancement"), nullable=False),
        sa.Column("advance_top_n", sa.Integer(), nullable=True),
        sa.Column("advance_shortlist", sa.Boolean(), nullable=False),
        _fk("edition_id", "editions.id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("edition_id", "name"),
        sa.UniqueConstraint("edition_id", "position"),
    )
    _index("rounds", "edition_id")
    op.create_table(
        "edition_challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _fk("challenge_id", "challenges.id"),
        _fk("edition_id", "editions.id"),
        _fk("host_id", "host_organisations.id", "RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("challenge_id"),
    )
    _index("edition_challenges", "edition_id")
    op.create_table(
        "round_phases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("phase_name", _text(64), nullable=False),
        _fk("challenge_id", "challenges.id"),
        _fk("round_id", "rounds.id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("challenge_id", "phase_name"),
    )
    _index("round_phases", "challenge_id", "round_id")
    op.create_table(
        "advancements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("advanced_by", sa.Integer(), nullable=True),
        sa.Column("how", _enum("advancedby", "top_n", "shortlist", "both"), nullable=False),
        sa.Column("at", podium.db.types.UTCDateTime(timezone=True), nullable=False),
        _fk("advanced_by", "users.id", "SET NULL"),
        _fk("challenge_id", "challenges.id"),
        _fk("round_id", "rounds.id"),
        _fk("team_id", "teams.id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "team_id"),
    )
    _index("advancements", "challenge_id", "round_id")
    op.create_table(
        "round_shortlist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("at", podium.db.types.UTCDateTime(timezone=True), nullable=False),
        _fk("added_by", "users.id", "SET NULL"),
        _fk("challenge_id", "challenges.id"),
        _fk("round_id", "rounds.id"),
        _fk("team_id", "teams.id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "team_id"),
    )
    _index("round_shortlist", "round_id")


def downgrade() -> None:
    for table in (
        "round_shortlist",
        "advancements",
        "round_phases",
        "edition_challenges",
        "rounds",
        "host_organisations",
        "editions",
    ):
        op.drop_table(table)  # dropping a table drops its indexes
