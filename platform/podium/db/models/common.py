"""Helpers shared by the model modules: enum columns stored as plain strings."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Column
from sqlalchemy import Enum as SAEnum


def enum_column(enum: type[StrEnum], *, index: bool = False, nullable: bool = False) -> Column:
    """A VARCHAR column holding the enum's values (no native database enum to migrate)."""
    return Column(
        SAEnum(
            enum,
            native_enum=False,
            create_constraint=False,
            length=16,
            values_callable=lambda members: [member.value for member in members],
        ),
        index=index,
        nullable=nullable,
    )
