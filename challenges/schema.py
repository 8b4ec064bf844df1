"""The ``challenge.yaml`` schema: strict, frozen pydantic models.

Every model forbids unknown keys, so a misspelt key is an error that names its path. Checks that
span sections (phase order, phase data keys, metric names) live in :mod:`challenges.checks`; the
root model runs them too, unless validated with ``context={"skip_cross_checks": True}`` (the bundle
validator does that, to report each of them under its own key path).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from challenges.deliverables import Deliverable, duplicate_keys
from challenges.phases import is_open
from evaluators.formats import LabelsFormat, PredictionFormat
from sandbox.dockerfile import RUNTIME_IMAGES

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
# registry/namespace/name[:tag][@digest], lower case, as Docker accepts them.
_IMAGE_NAME = re.compile(
    r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)
SKIP_CROSS_CHECKS = "skip_cross_checks"
MAX_HIDDEN_RUN_STDERR_LINES = 50


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Organiser(_Strict):
    """A hosting organisation or person."""

    name: str = Field(min_length=1)
    url: str | None = None
    email: str | None = None


class InputEntry(_Strict):
    """One file or folder the model finds under ``/input``."""

    path: str = Field(min_length=1, description="relative to /input")
    kind: Literal["file", "dir"] = "file"
    description: str = ""


class ModelFileContract(_Strict):
    """How a bare model file (submission kind ``model``) is run for this challenge."""

    runner: Literal["sklearn", "torchscript"]
    input: str = Field(min_length=1, description="what the model is called with")
    output: str = Field(min_length=1, description="what it must return")


class TaskSpec(_Strict):
    """What the model sees, what it writes, and what it is scored against."""

    description: str = Field(min_length=1)
    inputs: list[InputEntry] = Field(min_length=1)
    predictions: PredictionFormat
    labels: LabelsFormat
    runtime_image: str = RUNTIME_IMAGES[0]
    model_file: ModelFileContract | None = None
    build_network: Literal["none", "packages"] = Field(
        default="packages",
        description="what a participant's build reaches: nothing, or the package indexes only",
    )
    build_bases: list[str] = Field(
        default_factory=list,
        description="images builds may start from besides the runtime images, by digest",
    )

    @field_validator("runtime_image")
    @classmethod
    def _image_name(cls, value: str) -> str:
        if not _IMAGE_NAME.match(value):
            raise ValueError(
                f"{value!r} is not a Docker image name; use one of {', '.join(RUNTIME_IMAGES)} "
                "or a name such as registry.example.org/team/image:tag"
            )
        return value

    @field_validator("build_bases")
    @classmethod
    def _pinned(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _IMAGE_NAME.match(value) or "@sha256:" not in value:
                raise ValueError(
                    f"{value!r} is not an image pinned by digest; write NAME@sha256:<64 hex> "
                    "so that every build starts from exactly that image"
                )
        return values

    @property
    def allowed_bases(self) -> tuple[str, ...]:
        """What a participant's Dockerfile may start FROM: the runtime images and the listed."""
        return tuple(dict.fromkeys((*RUNTIME_IMAGES, self.runtime_image, *self.build_bases)))


class DeclaredMetric(_Strict):
    """A metric a custom scoring program writes."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    greater_is_better: bool


class ScoringProgram(_Strict):
    """A custom scoring program in the bundle and the metrics it declares.

    ``contract: podium`` (the default): ``path`` is one ``score.py`` run once per split on the
    validated prediction rows (see :mod:`evaluators.program`). ``contract: files``: ``path`` is a
    folder whose ``score.py`` sees the whole ``/output`` of the run (or the uploaded
    predictions) at ``/input/res`` and the whole reference (``data.hidden.*.labels``, a file or a
    folder) at ``/input/ref``; it runs once and validates the predictions itself, so its scores
    stand for every split (an imported challenge's program runs this way, behind an adapter).
    """

    path: str = Field(min_length=1)
    metrics: list[DeclaredMetric] = Field(min_length=1)
    contract: Literal["podium", "files"] = "podium"


class MetricsSpec(_Strict):
    """Primary and secondary metrics: registry names, or names a scoring program declares."""

    primary: str = Field(min_length=1)
    secondary: list[str] = Field(default_factory=list)
    scoring_program: ScoringProgram | None = None
    decimals: int = Field(default=4, ge=0, le=12)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [self.primary, *self.secondary]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"metrics listed twice: {', '.join(repeated)}")
        if self.scoring_program is not None:
            declared = [m.name for m in self.scoring_program.metrics]
            unknown = [n for n in names if n not in declared]
            if unknown:
                raise ValueError(
                    f"{', '.join(unknown)} not declared by the scoring program; "
                    f"it declares: {', '.join(declared)}"
                )
        return self

    @property
    def names(self) -> list[str]:
        """Primary first, then the secondary metrics."""
        return [self.primary, *self.secondary]


class SubmissionLimits(_Strict):
    """Per-team submission quotas for one phase."""

    per_day: int = Field(default=5, ge=1, description="rolling 24 hours")
    total: int = Field(default=100, ge=1)
    in_flight: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.per_day > self.total:
            raise ValueError(f"per_day ({self.per_day}) exceeds total ({self.total})")
        return self


class SandboxLimits(_Strict):
    """Hard limits for one run of a participant container."""

    wall_seconds: int = Field(gt=0, le=7 * 24 * 3600)
    memory_mb: int = Field(gt=0)
    cpus: float = Field(gt=0)
    gpu: bool = False
    gpus: int | None = Field(
        default=None, ge=1, le=16, description="GPUs a run gets (implies gpu; default 1)"
    )
    processes: int | None = Field(default=None, gt=0)
    tmp_mb: int | None = Field(default=None, gt=0)
    output_mb: int | None = Field(default=None, gt=0)
    log_kb: int | None = Field(default=None, gt=0)

    @property
    def gpu_count(self) -> int:
        """How many GPUs a run of this phase gets (0: a CPU phase)."""
        if self.gpus is not None:
            return self.gpus
        return 1 if self.gpu else 0


class LeaderboardSpec(_Strict):
    """Who sees the phase's leaderboard and which submission of a team counts."""

    visibility: Literal["public", "private-until-reveal", "hidden"] = "public"
    rule: Literal["best", "latest", "selected"] = "best"
    max_selected: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _selected(self) -> Self:
        if self.rule == "selected" and self.max_selected is None:
            raise ValueError("rule 'selected' needs max_selected")
        if self.rule != "selected" and self.max_selected is not None:
            raise ValueError(f"max_selected only applies to rule 'selected', not {self.rule!r}")
        return self


SubmissionKind = Literal["image", "build", "model", "predictions"]
# what a phase accepts when it does not say: every kind that runs a model ("predictions", a file
# scored as is, only where the test inputs are public: see HiddenSet.public_inputs)
DEFAULT_SUBMISSION_KINDS: tuple[SubmissionKind, ...] = ("image", "build", "model")


def _all_kinds() -> list[SubmissionKind]:
    return list(DEFAULT_SUBMISSION_KINDS)


class PracticeLimits(_Strict):
    """Practice runs: a team's model on the phase's public sample, never ranked."""

    per_day: int = Field(
        default=20, ge=0, le=1000, description="per team, rolling 24 hours; 0: no practice runs"
    )


class Phase(_Strict):
    """A time window with its hidden data, quotas, limits and leaderboard rules."""

    name: str = Field(pattern=SLUG_PATTERN)
    start: AwareDatetime
    end: AwareDatetime
    data: str = Field(min_length=1, description="a key of data.hidden")
    public_fraction: float = Field(gt=0, le=1)
    submission_kinds: list[SubmissionKind] = Field(default_factory=_all_kinds, min_length=1)
    submissions: SubmissionLimits = Field(default_factory=SubmissionLimits)
    practice: PracticeLimits = Field(
        default_factory=PracticeLimits,
        description="practice runs on the public sample (own quota, never on a leaderboard)",
    )
    limits: SandboxLimits
    show_logs: bool = Field(
        default=False,
        description=(
            "participants see the logs of runs on public data: the build log and the smoke "
            "run's stdout and stderr (never the hidden run's; see hidden_run_stderr_lines)"
        ),
    )
    hidden_run_stderr_lines: int = Field(
        default=0,
        ge=0,
        le=MAX_HIDDEN_RUN_STDERR_LINES,
        description=(
            "participants also see this many first lines of the hidden run's stderr (each cut "
            "to a few hundred characters); a model can print hidden inputs there"
        ),
    )
    smoke_run: bool | None = Field(
        default=None,
        description=(
            "run each submission on a public sample first, under the same limits, with its "
            "logs shown; a failure there ends the submission before the hidden data. Default: "
            "on where the bundle has a public sample (see challenges.samples)"
        ),
    )
    leaderboard: LeaderboardSpec = Field(default_factory=LeaderboardSpec)
    deliverables: list[Deliverable] = Field(
        default_factory=list,
        description="what each team hands in beside its predictions (challenges.deliverables)",
    )

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.end <= self.start:
            raise ValueError(
                f"end ({self.end.isoformat()}) must be after start ({self.start.isoformat()})"
            )
        return self

    @model_validator(mode="after")
    def _deliverable_keys(self) -> Self:
        repeated = duplicate_keys(self.deliverables)
        if repeated:
            raise ValueError(f"deliverables with the same key: {', '.join(repeated)}")
        return self

    def is_open(self, now: datetime) -> bool:
        """Whether ``now`` (timezone-aware) lies in ``[start, end)``."""
        return is_open(self, now)


class PublicFile(_Strict):
    """A file or folder participants may download (training data, starting kit)."""

    name: str = Field(pattern=NAME_PATTERN)
    path: str = Field(min_length=1)
    description: str = ""
    licence: str | None = Field(
        default=None, max_length=100, description="e.g. CC-BY-4.0; defaults to data.licence"
    )
    kind: Literal["dataset", "baseline", "starting-kit"] | None = Field(
        default=None,
        description=(
            "what the open catalogue lists it as; by default a starting kit by its name, a "
            "baseline where its path is a baseline's, else a dataset"
        ),
    )


class HiddenSet(_Strict):
    """Hidden test data: inputs mounted read-only at ``/input``, labels read by the scorer only.

    ``inputs`` is a folder (its contents appear at ``/input``) or a list of files (each appears
    as ``/input/<file name>``).
    """

    inputs: str | list[str]
    labels: str = Field(min_length=1)
    public_inputs: bool = Field(
        default=False,
        description=(
            "the inputs are published too (data.public may hold them): phases on this set may "
            "take 'predictions' submissions, a file scored as is, never run"
        ),
    )


class DataSpec(_Strict):
    """Public downloads and the hidden sets phases refer to."""

    public: list[PublicFile] = Field(default_factory=list)
    hidden: dict[str, HiddenSet] = Field(min_length=1)
    licence: str | None = Field(
        default=None, max_length=100, description="the public files' licence (e.g. CC-BY-4.0)"
    )


class TeamsSpec(_Strict):
    """Team rules."""

    max_size: int = Field(default=4, ge=1)
    # teams declare an affiliation, country and category; leaderboards show them (and filter
    # by country and category) only where the organisers say so
    show_profile: bool = False


class RubricCriterion(_Strict):
    """One criterion judges score by hand."""

    name: str = Field(min_length=1)
    description: str = ""
    max_points: float = Field(gt=0)
    weight: float = Field(gt=0, description="relative; weights are normalised by their sum")


class FinalScore(_Strict):
    """How the final score mixes the leaderboard and the judges' rubric (weights sum to 1)."""

    leaderboard_weight: float = Field(ge=0, le=1)
    rubric_weight: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _sum_to_one(self) -> Self:
        total = self.leaderboard_weight + self.rubric_weight
        if abs(total - 1.0) > 1e-9:
            raise ValueError(
                f"leaderboard_weight + rubric_weight must be 1; got "
                f"{self.leaderboard_weight:g} + {self.rubric_weight:g} = {total:g}"
            )
        return self


class JudgingSpec(_Strict):
    """Optional jury scoring on a rubric, combined with the leaderboard."""

    rubric: list[RubricCriterion] = Field(min_length=1)
    final_score: FinalScore

    @model_validator(mode="after")
    def _unique(self) -> Self:
        names = [c.name for c in self.rubric]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"rubric criteria named twice: {', '.join(repeated)}")
        return self


class Baseline(_Strict):
    """An example submission the platform runs when the challenge is created."""

    name: str = Field(pattern=NAME_PATTERN)
    kind: SubmissionKind
    path: str = Field(min_length=1)
    phase: str | None = Field(default=None, description="defaults to the first phase")
    expected_score: tuple[float, float] = Field(description="[low, high] of the primary metric")

    @model_validator(mode="after")
    def _range(self) -> Self:
        low, high = self.expected_score
        if low > high:
            raise ValueError(f"expected_score low ({low:g}) is above high ({high:g})")
        return self


class ChallengeSpec(_Strict):
    """The whole of ``challenge.yaml``."""

    version: Literal[1] = 1
    slug: str = Field(pattern=SLUG_PATTERN, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(min_length=1, max_length=500)
    description: str = Field(min_length=1, description="path to a Markdown file in the bundle")
    organisers: list[Organiser] = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    terms: str = Field(min_length=1)
    task: TaskSpec
    metrics: MetricsSpec
    phases: list[Phase] = Field(min_length=1)
    teams: TeamsSpec = Field(default_factory=TeamsSpec)
    data: DataSpec
    judging: JudgingSpec | None = None
    baselines: list[Baseline] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> Self:
        if info.context and info.context.get(SKIP_CROSS_CHECKS):
            return self
        from challenges.checks import cross_section_problems

        found = cross_section_problems(self.model_dump_sections())
        if found:
            raise ValueError("; ".join(f"{path}: {message}" for path, message in found))
        return self

    def model_dump_sections(self) -> dict[str, object]:
        """The validated top-level sections, keyed by name (the input of the cross checks)."""
        return {name: getattr(self, name) for name in type(self).model_fields}

    def phase(self, name: str) -> Phase | None:
        """The phase called ``name``, or None."""
        return next((p for p in self.phases if p.name == name), None)
