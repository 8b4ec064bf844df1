"""Warnings about a valid bundle: choices that are allowed but that an organiser should know about.

A problem (:func:`challenges.validate_bundle`) makes a bundle invalid; a warning does not. Each
warning is a :class:`~challenges.errors.Problem` (file, key path, message), so it prints the
same way, and says what the choice means and what to do instead.
"""

from __future__ import annotations

from challenges.bundle import Bundle
from challenges.errors import Problem
from challenges.loading import SPEC_FILE
from challenges.samples import VALIDATION_NAME, sample_origin
from challenges.schema import Phase


def bundle_warnings(bundle: Bundle) -> list[Problem]:
    """Every warning about a loaded (valid) bundle; an empty list when there is none."""
    has_sample = sample_origin(bundle) is not None
    found: list[Problem] = []
    for index, phase in enumerate(bundle.spec.phases):
        found += _log_warnings(index, phase)
        found += _smoke_warnings(index, phase, has_sample)
    return found


def _log_warnings(index: int, phase: Phase) -> list[Problem]:
    lines = phase.hidden_run_stderr_lines
    if lines == 0:
        return []
    key = f"phases[{index}].hidden_run_stderr_lines"
    found = [
        Problem(
            SPEC_FILE,
            key,
            f"participants will see the first {lines} lines of stderr of every run on the "
            "hidden data: a model can print hidden inputs there (rows of the test set, image "
            "pixels) and read them back; keep it 0 unless the hidden inputs may be seen",
        )
    ]
    if not phase.show_logs:
        found.append(
            Problem(
                SPEC_FILE,
                key,
                "has no effect while show_logs is false (participants see no logs at all); "
                "set show_logs: true, or remove it",
            )
        )
    return found


def _smoke_warnings(index: int, phase: Phase, has_sample: bool) -> list[Problem]:
    if has_sample or phase.smoke_run is False:
        return []
    how = (
        f"publish a {VALIDATION_NAME!r} folder (inputs/ laid out like /input, and the labels "
        "file), or, for a task whose one input is a CSV, a public CSV with the id and label "
        "columns"
    )
    if phase.smoke_run:
        message = (
            "is true, but the bundle has no public sample to run on, so submissions go "
            f"straight to the hidden data; {how}"
        )
    else:
        message = (
            "the bundle has no public sample, so submissions get no smoke run and a "
            "participant whose model fails on the hidden data sees only a fixed reason, no "
            f"log; {how}, or set smoke_run: false to silence this"
        )
    return [Problem(SPEC_FILE, f"phases[{index}].smoke_run", message)]
