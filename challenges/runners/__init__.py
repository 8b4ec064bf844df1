"""Runner scripts that turn a bare model file into a container entrypoint.

The platform copies :func:`runner_script` next to the participant's model file into the
challenge's runtime image and runs :func:`runner_command`. The scripts are standalone (they run
inside the sandbox, where this package is absent).
"""

from __future__ import annotations

from pathlib import Path

from challenges.errors import ChallengeError
from challenges.schema import ChallengeSpec

RUNNERS_DIR = Path(__file__).resolve().parent
RUNNERS = {"sklearn": "sklearn_runner.py", "torchscript": "torchscript_runner.py"}


def runner_script(name: str) -> Path:
    """The runner script file for a ``task.model_file.runner`` name."""
    if name not in RUNNERS:
        raise ChallengeError(f"unknown model runner {name!r}; runners: {', '.join(RUNNERS)}")
    return RUNNERS_DIR / RUNNERS[name]


def runner_command(spec: ChallengeSpec, model_path: str, runner_path: str) -> list[str]:
    """The entrypoint that runs ``model_path`` for ``spec``'s task, inside the container.

    Raises:
        ChallengeError: The challenge takes no model files, or its layout does not suit the runner.
    """
    contract = spec.task.model_file
    if contract is None:
        raise ChallengeError(f"{spec.slug} does not take model files (no task.model_file)")
    if contract.runner == "torchscript":
        return ["python", runner_path, "--model", model_path]
    csv_inputs = [e.path for e in spec.task.inputs if e.kind == "file" and e.path.endswith(".csv")]
    if len(csv_inputs) != 1 or spec.task.predictions.kind == "ranking":
        raise ChallengeError("the sklearn runner needs one CSV input and a non-ranking prediction")
    predictions = spec.task.predictions
    return [
        "python",
        runner_path,
        "--model",
        model_path,
        "--input-file",
        csv_inputs[0],
        "--id-column",
        predictions.id_column,
        "--kind",
        predictions.kind,
        "--columns",
        ",".join(predictions.column_names),
        "--output-file",
        predictions.file,
    ]
