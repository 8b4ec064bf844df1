"""The challenge bundle: its schema, its loader, and the example challenges.

A bundle is a folder (or an archive of one) with ``challenge.yaml`` at its top::

    from challenges import load_bundle, validate_bundle

    problems = validate_bundle(Path("my-challenge"))      # every problem, [] when valid
    with load_bundle(Path("my-challenge.zip")) as bundle:  # raises BundleError(problems)
        bundle.spec.slug, bundle.hidden_inputs("final"), bundle.hidden_labels("final")
"""

from challenges.bundle import Bundle, InputMount, load_bundle, validate_bundle
from challenges.errors import BundleError, ChallengeError, DataBuildError, Problem
from challenges.schema import ChallengeSpec, Phase

__all__ = [
    "Bundle",
    "BundleError",
    "ChallengeError",
    "ChallengeSpec",
    "DataBuildError",
    "InputMount",
    "Phase",
    "Problem",
    "load_bundle",
    "validate_bundle",
]
