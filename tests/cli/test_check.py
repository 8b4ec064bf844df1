"""`podium check`: the baseline runs in the real sandbox under the phase's limits and is scored."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from podium.crud import challenge_views
from podium.settings import get_settings
from tests.cli.conftest import SLUG, Cli, LiveServer, one_error_line

pytestmark = pytest.mark.docker


def _primary(stdout: str) -> float:
    found = re.search(r"roc_auc \(primary\): ([0-9.]+)", stdout)
    assert found, stdout
    return float(found.group(1))


def _image_running(folder: Path, code: str) -> None:
    """A build context whose entrypoint runs the Python ``code``."""
    (folder / "main.py").write_text(code + "\n")
    (folder / "Dockerfile").write_text(
        "FROM podium/runtime-python:3.11\nCOPY main.py /app/main.py\n"
        'ENTRYPOINT ["python", "/app/main.py"]\n'
    )


def test_check_with_a_bundle_scores_the_baseline_on_its_hidden_set(
    cli: Cli, example_folder: Path, docker_client: docker.DockerClient, runtime_python: str
) -> None:
    result = cli("check", str(example_folder / "baseline"), "--bundle", str(example_folder))
    assert result.exit_code == 0, result.output
    assert "validation data: the bundle's hidden set 'test' of phase development" in result.stdout
    assert "organiser's local check" in result.stdout
    assert "120 s wall, 1024 MB memory, 1 CPU, no GPU, no network" in result.stdout
    assert "status: succeeded" in result.stdout
    assert 0.97 <= _primary(result.stdout) <= 1.0  # the bundle's expected range
    leftovers = docker_client.images.list(filters={"label": "org.podium.check=1"})
    assert leftovers == []  # what check builds, it removes


def test_check_from_the_server_carves_a_slice_of_the_public_training_data(
    server: LiveServer,
    anonymous: Cli,
    example_folder: Path,
    runtime_python: str,
) -> None:
    server.register_example(example_folder)
    result = anonymous("check", str(example_folder / "baseline"), "--challenge", SLUG)
    assert result.exit_code == 0, result.output
    assert "rows carved from the public file 'train'" in result.stdout
    assert 0.9 <= _primary(result.stdout) <= 1.0


def test_invalid_predictions_are_reported_in_one_line(
    cli: Cli, example_folder: Path, tmp_path: Path, runtime_python: str
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    _image_running(bad, "open('/output/predictions.csv', 'w').write('id,x\\n1,2\\n')")
    result = cli("check", str(bad), "--bundle", str(example_folder))
    assert "status: succeeded" in result.stdout
    line = one_error_line(result)
    assert line.startswith("error: the predictions are not valid: ")
    assert "predictions.csv" in line


def test_a_model_that_crashes_is_reported_with_its_stderr(
    cli: Cli, example_folder: Path, tmp_path: Path, runtime_python: str
) -> None:
    bad = tmp_path / "crash"
    bad.mkdir()
    _image_running(bad, "import sys; print('boom here', file=sys.stderr); sys.exit(3)")
    result = cli("check", str(bad), "--bundle", str(example_folder))
    assert "boom here" in result.stdout
    assert one_error_line(result).startswith("error: the model did not finish: ")


@pytest.fixture
def platform_build_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This machine's settings say builds make images of at most 1 MB."""
    monkeypatch.setenv("PODIUM_BUILD_IMAGE_MB", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_check_builds_under_the_platforms_build_limits(
    cli: Cli,
    example_folder: Path,
    docker_client: docker.DockerClient,
    runtime_python: str,
    platform_build_limits: None,
) -> None:
    result = cli("check", str(example_folder / "baseline"), "--bundle", str(example_folder))
    line = one_error_line(result)
    assert "the limit is 1 MB" in line, line  # the worker's build_limits, read from settings
    assert docker_client.images.list(filters={"label": "org.podium.check=1"}) == []


def test_check_refuses_a_base_the_challenge_does_not_allow(
    cli: Cli, example_folder: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other-base"
    other.mkdir()
    (other / "Dockerfile").write_text('FROM debian:bookworm-slim\nCMD ["true"]\n')
    line = one_error_line(cli("check", str(other), "--bundle", str(example_folder)))
    assert "starts FROM debian:bookworm-slim, which builds may not start from" in line
    assert "podium/runtime-sklearn:3.11" in line  # the challenge's runtime image is allowed


def test_check_needs_a_challenge_or_a_bundle(cli: Cli, example_folder: Path) -> None:
    line = one_error_line(cli("check", str(example_folder / "baseline")))
    assert line == "error: give --challenge SLUG (or --bundle DIR to check on a bundle)"
    other = cli("check", str(example_folder / "baseline"), "--bundle", str(example_folder),
                "--challenge", "digits-vision")  # fmt: skip
    assert "is the bundle of breast-cancer-diagnosis, not digits-vision" in one_error_line(other)


def test_check_from_a_server_without_the_label_format_says_what_to_do(
    server: LiveServer, anonymous: Cli, example_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(  # a server that publishes the task without its label format
        challenge_views,
        "_task",
        lambda task: task.model_dump(mode="json", include=set(challenge_views._TASK_KEYS)),
    )
    server.register_example(example_folder)
    line = one_error_line(anonymous("check", str(example_folder / "baseline"), "-c", SLUG))
    assert "does not publish the challenge's label format (task.labels)" in line
    assert "--bundle" in line


def test_check_from_a_server_whose_metrics_do_not_read_says_what_to_do(
    server: LiveServer, anonymous: Cli, example_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(challenge_views, "_METRIC_KEYS", ("secondary", "decimals"))
    server.register_example(example_folder)
    line = one_error_line(anonymous("check", str(example_folder / "baseline"), "-c", SLUG))
    assert "cannot read (metrics.primary: Field required)" in line
    assert line.endswith("ask its operators, or use --bundle")
