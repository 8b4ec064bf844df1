"""Podium's own images (API, workers, MLflow server, Flower): the wheels they are built from.

``docker-compose build`` installs Podium's Python packages with no index at all, from
``deploy/wheels``, which this host's pip fills first (its indexes, its TLS proxy, its local
wheel folders: the same approach as the runtime images in :mod:`sandbox.runtime_images`).
torch is left out: the services never import it (only participants' TorchScript runs do, inside
``podium/runtime-torch:3.11``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import docker
import docker.errors
from docker.types import Mount
from packaging.requirements import InvalidRequirement, Requirement

from sandbox.docker_errors import translate_docker_errors
from sandbox.errors import RuntimeImageError
from sandbox.runtime_images import download_wheels

WHEELS_DIR = Path("deploy/wheels")
BASE_IMAGE = "podium/runtime-python:3.11"  # what deploy/images/platform/Dockerfile starts from
REQUIREMENTS_FILE = "requirements.txt"
LEFT_OUT = frozenset({"torch"})
EXTRAS = ("deploy",)
# installed first, so that Podium's own source can be installed in editable mode
BOOTSTRAP = ("pip", "setuptools", "wheel")
MAX_ROUNDS = 10

Log = Callable[[str], None]


def service_requirements(pyproject: Path) -> list[str]:
    """Podium's dependencies (and its ``deploy`` extra) without torch, pinned where installed.

    A package installed on this host is pinned to the version installed here, so the images run
    what this host's tests ran.

    Raises:
        RuntimeImageError: pyproject.toml is missing or unreadable.
    """
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
        raise RuntimeImageError(
            f"cannot read the dependencies in {pyproject} ({error}); run this command from the "
            "root of a Podium clone"
        ) from None
    names = list(project.get("dependencies", []))
    for extra in EXTRAS:
        names += project.get("optional-dependencies", {}).get(extra, [])
    pinned = [_pin(text) for text in [*BOOTSTRAP, *names]]
    return [line for line in pinned if line]


def _pin(text: str) -> str | None:
    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        raise RuntimeImageError(
            f"pyproject.toml lists {text!r}, which pip cannot read: {error}"
        ) from None
    if requirement.name.lower() in LEFT_OUT:
        return None
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    try:
        return f"{requirement.name}{extras}=={metadata.version(requirement.name)}"
    except metadata.PackageNotFoundError:
        return f"{requirement.name}{extras}{requirement.specifier}"


def image_python(client: docker.DockerClient, image: str = BASE_IMAGE) -> str:
    """The Python version inside ``image`` (pip resolves markers for it, not for this host's).

    Raises:
        RuntimeImageError: the image is missing (build the runtime images first).
    """
    with translate_docker_errors(f"asking {image} for its Python version"):
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            raise RuntimeImageError(
                f"{image} is missing; build the runtime images first (`make images`)"
            ) from None
        output = client.containers.run(
            image,
            ["python3", "-c", "import platform; print(platform.python_version())"],
            network_mode="none",
            remove=True,
        )
    return bytes(output).decode().strip()


def _complete_for_image(client: docker.DockerClient, dest: Path, log: Log) -> None:
    """Fetch what the image's own pip still misses (markers this host's Python skipped).

    pip evaluates dependency markers for the Python it runs on: ``python_full_version <
    "3.11.3"`` is false here and true in Debian's 3.11.2. So the image's pip resolves the set
    offline, and whatever it cannot find is fetched by this host's pip, until nothing is missing.

    Raises:
        RuntimeImageError: a missing package could not be fetched, or it kept missing.
    """
    for _ in range(MAX_ROUNDS):
        missing = _missing_in_image(client, dest)
        if not missing:
            return
        log(f"  also needed in the image: {missing}")
        download_wheels((missing,), dest)
    raise RuntimeImageError(f"the image's pip still misses packages after {MAX_ROUNDS} rounds")


def _missing_in_image(client: docker.DockerClient, dest: Path) -> str | None:
    command = [
        "pip", "install", "--dry-run", "--quiet", "--no-index", "--find-links", "/wheels",
        "-r", f"/wheels/{REQUIREMENTS_FILE}",
    ]  # fmt: skip
    with translate_docker_errors("checking the wheels with the image's pip"):
        container = client.containers.run(
            BASE_IMAGE, command, detach=True, network_mode="none",
            mounts=[Mount("/wheels", str(dest.resolve()), type="bind", read_only=True)],
        )  # fmt: skip
        try:
            status = container.wait(timeout=600).get("StatusCode")
            output = container.logs().decode(errors="replace")
        finally:
            container.remove(force=True)
    if status == 0:
        return None
    found = re.search(r"No matching distribution found for ([^;\n]+)", output)
    if found is None:
        raise RuntimeImageError(f"the image's pip refused the wheels: {output.strip()[-800:]}")
    return found.group(1).strip()


def prepare_wheels(
    root: Path, client: docker.DockerClient, dest: Path | None = None, log: Log = print
) -> Path:
    """Fill ``deploy/wheels`` (or ``dest``) with every wheel the service images install.

    Returns:
        The folder, holding the wheels and ``requirements.txt``.

    Raises:
        RuntimeImageError: the base image is missing, or pip could not provide a wheel.
    """
    dest = dest or root / WHEELS_DIR
    requirements = service_requirements(root / "pyproject.toml")
    python = image_python(client)
    log(f"resolving {len(requirements)} packages for Python {python} with this host's pip")
    download_wheels(tuple(requirements), dest, python_version=python)
    (dest / REQUIREMENTS_FILE).write_text("\n".join(requirements) + "\n", encoding="utf-8")
    _complete_for_image(client, dest, log)
    wheels = sorted(dest.glob("*.whl"))
    size_mb = sum(w.stat().st_size for w in wheels) / 2**20
    log(f"{len(wheels)} wheels ({size_mb:.0f} MB) in {dest}; now run: docker-compose build")
    return dest
