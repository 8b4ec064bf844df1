"""The example challenges built once per session, and their baseline images."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from challenges import Bundle, load_bundle
from challenges.examples import build_example, example_paths
from challenges.modelfile import wrap_model_file
from sandbox.building import BuildLimits, build_image
from sandbox.packing import pack_folder
from tests.conftest import TEST_LABEL


@pytest.fixture(scope="session")
def example_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("examples")


@pytest.fixture(scope="session")
def bundles(example_root: Path) -> Iterator[dict[str, Bundle]]:
    """Every example built in a copy and loaded."""
    loaded = {slug: load_bundle(build_example(slug, example_root)) for slug in example_paths()}
    yield loaded
    for bundle in loaded.values():
        bundle.close()


@pytest.fixture(scope="session")
def baseline_images(
    docker_client: docker.DockerClient,
    bundles: dict[str, Bundle],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple[str, str], str]]:
    """(slug, baseline name) -> image id, built the way the platform builds submissions."""
    images: dict[tuple[str, str], str] = {}
    work = tmp_path_factory.mktemp("contexts")
    labels = {TEST_LABEL: "examples"}
    for slug, bundle in bundles.items():
        for baseline in bundle.spec.baselines:
            source = bundle.path(baseline.path)
            if baseline.kind == "build":
                context = pack_folder(source, work / f"{slug}-{baseline.name}.tar")
                built = build_image(docker_client, context, BuildLimits(), labels=labels)
            else:
                built = wrap_model_file(
                    docker_client, source, bundle.spec, BuildLimits(), labels=labels
                )
            images[(slug, baseline.name)] = built.image_id
    yield images
    for image_id in images.values():
        try:
            docker_client.images.remove(image_id, force=True)
        except docker.errors.APIError:
            pass
