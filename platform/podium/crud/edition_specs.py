"""An edition as declared by an administrator: a YAML file (``podium edition load FILE``) or
the body of ``PUT /api/v1/editions/{slug}`` (the same model, the same loader)."""

from __future__ import annotations

from typing import Self

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from podium.db.models.editions import RoundEntry
from podium.errors import InvalidInput

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"


class HostSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    contact_name: str = Field(default="", max_length=200)
    contact_email: str = Field(default="", max_length=254)
    url: str = Field(default="", max_length=500, pattern=r"^(https?://\S*)?$")


class ProblemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    challenge: str = Field(min_length=1, max_length=64, description="the challenge's slug")
    host: str = Field(min_length=1, max_length=200, description="a host's name")


class AdvanceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    top_n: int | None = Field(default=None, ge=1, le=10_000)
    shortlist: bool = False


class RoundSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    entry: RoundEntry = RoundEntry.OPEN
    phases: dict[str, str] = Field(description="challenge slug -> the phase this round covers")
    start: AwareDatetime | None = Field(
        default=None, description="default: its phases' first start"
    )
    end: AwareDatetime | None = Field(default=None, description="default: its phases' last end")
    advance: AdvanceSpec | None = None

    @model_validator(mode="after")
    def _rule_fits_entry(self) -> Self:
        advance = self.advance
        if self.entry is RoundEntry.ADVANCEMENT and (
            advance is None or (advance.top_n is None and not advance.shortlist)
        ):
            raise ValueError(
                f"round {self.name!r} is entered by advancement: give advance.top_n, "
                "advance.shortlist: true, or both"
            )
        if self.entry is RoundEntry.OPEN and advance is not None:
            raise ValueError(f"round {self.name!r} is open to every team: remove 'advance'")
        if not self.phases:
            raise ValueError(f"round {self.name!r} covers no phase: list challenge: phase pairs")
        if self.start and self.end and self.start >= self.end:
            raise ValueError(f"round {self.name!r} ends before it starts")
        return self


class EditionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=SLUG_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=2000)
    hosts: list[HostSpec] = Field(min_length=1)
    problem_statements: list[ProblemSpec] = Field(min_length=1)
    rounds: list[RoundSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = _problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _duplicates(values: list[str]) -> list[str]:
    return sorted({v for v in values if values.count(v) > 1})


def _problems(spec: EditionSpec) -> list[str]:
    found: list[str] = []
    hosts = [h.name for h in spec.hosts]
    slugs = [p.challenge for p in spec.problem_statements]
    for what, values in (("host", hosts), ("problem statement", slugs),
                         ("round", [r.name for r in spec.rounds])):  # fmt: skip
        found += [f"{what} {v!r} is listed twice" for v in _duplicates(values)]
    found += [
        f"problem statement {p.challenge!r} names host {p.host!r}, which is not in hosts"
        for p in spec.problem_statements
        if p.host not in hosts
    ]
    for r in spec.rounds:
        found += [
            f"round {r.name!r} covers {slug!r}, which is not a problem statement of the edition"
            for slug in r.phases
            if slug not in slugs
        ]
    if spec.rounds and spec.rounds[0].entry is RoundEntry.ADVANCEMENT:
        found.append(f"the first round, {spec.rounds[0].name!r}, has no round to advance from")
    return found


def parse_edition_yaml(text: str, *, source: str) -> EditionSpec:
    """An edition file's spec.

    Raises:
        InvalidInput: The file is not YAML, or not an edition (every problem listed).
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidInput(f"{source} is not valid YAML: {error}") from None
    try:
        return EditionSpec.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(f"{source} is not a valid edition", problems(error)) from None


def problems(error: ValidationError) -> list[str]:
    """Each problem as ``where: what``."""
    return [
        f"{'.'.join(str(p) for p in e.get('loc', ())) or 'edition'}: "
        f"{str(e.get('msg', 'invalid')).removeprefix('Value error, ')}"
        for e in error.errors()
    ]
