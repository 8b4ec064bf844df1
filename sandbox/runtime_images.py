"""Build the runtime base images that participants and the example baselines build on.

Each image has a recipe (a Dockerfile under ``sandbox/images/<name>/`` plus its build arguments);
the recipe's hash is stored as an image label, so a build whose recipe has not changed is skipped.
The base layer comes from a registry where one answers and is bootstrapped from Debian packages
where none does (air-gapped sites), giving the same Debian bookworm with its Python 3.11.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import certifi
import docker
import docker.errors

from sandbox.docker_errors import translate_docker_errors
from sandbox.errors import RuntimeImageError

RECIPES = Path(__file__).parent / "images"
RECIPE_LABEL = "org.podium.recipe"
REGISTRY_BASE = "debian:bookworm-slim"
BASE_REPOSITORY = "podium/base-bookworm"
TORCH_VERSION = "2.13.0"
DEBOOTSTRAP_PACKAGES = "python3,python3-venv,ca-certificates"

Log = Callable[[str], None]


@dataclass(frozen=True)
class Recipe:
    """One runtime image: its Dockerfile folder, its tag, its parent and the packages it adds."""

    name: str
    tag: str
    parent: str | None
    requirements: tuple[str, ...] = ()
    imports: str = ""

    def digest(self, parent_digest: str, site_ca: bytes) -> str:
        """Hash of everything that decides the image's content."""
        h = hashlib.sha256()
        h.update((RECIPES / self.name / "Dockerfile").read_bytes())
        h.update(json.dumps([self.requirements, self.imports]).encode())
        h.update(parent_digest.encode())
        if self.name == "python":
            h.update(site_ca)
        return h.hexdigest()[:16]


def runtime_recipes(*, torch: bool) -> list[Recipe]:
    """The runtime images, parents first; the torch image only when asked for."""
    recipes = [
        Recipe("python", "podium/runtime-python:3.11", parent=None),
        Recipe(
            "packages",
            "podium/runtime-sklearn:3.11",
            parent="podium/runtime-python:3.11",
            requirements=tuple(
                f"{name}=={metadata.version(name)}" for name in ("numpy", "pandas", "scikit-learn")
            ),
            imports="numpy, pandas, sklearn",
        ),
    ]
    if torch:
        recipes.append(
            Recipe(
                "packages",
                "podium/runtime-torch:3.11",
                parent="podium/runtime-sklearn:3.11",
                requirements=(f"torch=={TORCH_VERSION}+cpu",),
                imports="torch",
            )
        )
    return recipes


def download_wheels(
    requirements: tuple[str, ...], dest: Path, *, python_version: str | None = None
) -> None:
    """Let the build host's pip resolve and fetch wheels (with their dependencies) into ``dest``.

    The host's pip knows this site's indexes, proxy certificates and local wheel folders; for
    torch it takes the local ``+cpu`` build, never PyPI's multi-GB CUDA one. ``python_version``
    (e.g. ``3.11.2``, the image's own) makes pip resolve markers for that Python, not the host's.

    Raises:
        RuntimeImageError: pip could not provide every wheel; the message quotes pip.
    """
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "pip", "download", "--only-binary", ":all:",
        "--dest", str(dest), *requirements,
    ]  # fmt: skip
    if python_version:
        cmd[4:4] = ["--python-version", python_version]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise RuntimeImageError(
            f"pip could not provide wheels for {' '.join(requirements)}: "
            f"{done.stderr.strip()[-500:]}; check this machine's pip configuration "
            "(`pip config list`)"
        )


def site_ca_bundle() -> Path:
    """The CA bundle this host's pip trusts (a site's TLS proxy included)."""
    for candidate in (os.environ.get("PIP_CERT"), "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return Path(certifi.where())


def debian_mirror() -> str:
    """The Debian mirror this host's apt already uses (so air-gapped sites use their own)."""
    sources = sorted(Path("/etc/apt").glob("sources.list.d/*.sources"))
    for path in sources:
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
    legacy = Path("/etc/apt/sources.list")
    if legacy.exists():
        for line in legacy.read_text(errors="replace").splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and "security" not in parts[1]:
                return parts[1]
    raise RuntimeImageError(
        "found no Debian mirror in /etc/apt; set PODIUM_DEBIAN_MIRROR to your mirror's URL"
    )


class RuntimeImageBuilder:
    """Builds the runtime images with one Docker client; skips recipes already built.

    Args:
        client: the Docker engine to build on.
        base: ``auto`` (registry if it answers, else debootstrap), ``registry`` or ``debootstrap``.
        mirror: Debian mirror for debootstrap; by default the one this host's apt uses.
        log: where progress lines go.
    """

    def __init__(
        self,
        client: docker.DockerClient,
        *,
        base: str = "auto",
        mirror: str | None = None,
        log: Log = print,
    ) -> None:
        self.client = client
        self.base = base
        self.mirror = mirror
        self.log = log

    def build_all(self, *, torch: bool = True) -> dict[str, str]:
        """Build every runtime image whose recipe changed; returns tag → image id.

        Raises:
            RuntimeImageError: a step failed; the message names the step and its output.
        """
        site_ca = site_ca_bundle().read_bytes()
        parent_digest, parent_ref = self.ensure_base()
        built: dict[str, str] = {}
        for recipe in runtime_recipes(torch=torch):
            parent = parent_ref if recipe.parent is None else recipe.parent
            digest = recipe.digest(parent_digest, site_ca)
            built[recipe.tag] = self.ensure(recipe, parent, digest, site_ca)
            parent_digest = digest
        return built

    def ensure_base(self) -> tuple[str, str]:
        """The base layer's recipe hash and image reference, building it when missing."""
        use_registry = self.base == "registry" or (self.base == "auto" and self._registry_answers())
        source = "registry" if use_registry else "debootstrap"
        h = hashlib.sha256((RECIPES / "base" / "Dockerfile").read_bytes())
        h.update(f"{source}:{DEBOOTSTRAP_PACKAGES}".encode())
        digest = h.hexdigest()[:16]
        ref = f"{BASE_REPOSITORY}:{digest}"
        if self._image_id(ref) is None:
            self.log(f"building the base layer from the {source} ({ref})")
            if use_registry:
                self._build_dir(RECIPES / "base", ref, {}, {RECIPE_LABEL: digest})
            else:
                self._debootstrap(ref)
        return digest, ref

    def ensure(self, recipe: Recipe, parent: str, digest: str, site_ca: bytes) -> str:
        """Build one recipe unless an image with its tag and recipe hash exists."""
        with translate_docker_errors(f"inspecting {recipe.tag}"):
            try:
                image = self.client.images.get(recipe.tag)
            except docker.errors.ImageNotFound:
                image = None
        if image is not None and image.labels.get(RECIPE_LABEL) == digest:
            self.log(f"{recipe.tag} is up to date ({image.short_id})")
            return str(image.id)
        self.log(f"building {recipe.tag}")
        with tempfile.TemporaryDirectory(prefix="podium-image-") as tmp:
            context = Path(tmp)
            shutil.copy2(RECIPES / recipe.name / "Dockerfile", context / "Dockerfile")
            (context / "site-ca.crt").write_bytes(site_ca)
            args = {"BASE": parent}
            if recipe.requirements:
                self.log(
                    f"  resolving wheels with this host's pip: {' '.join(recipe.requirements)}"
                )
                download_wheels(recipe.requirements, context / "wheels")
                args |= {"REQUIREMENTS": " ".join(recipe.requirements), "IMPORTS": recipe.imports}
            return self._build_dir(context, recipe.tag, args, {RECIPE_LABEL: digest})

    def _registry_answers(self) -> bool:
        if self._image_id(REGISTRY_BASE) is not None:
            return True
        try:
            self.client.images.pull(REGISTRY_BASE)
        except docker.errors.DockerException:
            self.log("no container registry answers: bootstrapping the base from Debian packages")
            return False
        return True

    def _image_id(self, ref: str) -> str | None:
        with translate_docker_errors(f"inspecting {ref}"):
            try:
                return str(self.client.images.get(ref).id)
            except docker.errors.ImageNotFound:
                return None

    def _build_dir(
        self, context: Path, tag: str, args: dict[str, str], labels: dict[str, str]
    ) -> str:
        tail: list[str] = []
        with translate_docker_errors(f"building {tag}"):
            stream = self.client.api.build(
                path=str(context), tag=tag, buildargs=args, labels=labels,
                rm=True, forcerm=True, pull=False, decode=True,
            )  # fmt: skip
            for chunk in _stream_lines(stream):
                tail = (tail + [chunk])[-40:]
                if chunk.startswith("ERROR:"):
                    raise RuntimeImageError(
                        f"building {tag} failed: {chunk[6:].strip()}\n" + "\n".join(tail)
                    )
                if chunk.startswith("Step "):
                    self.log(f"  {chunk.strip()}")
            return str(self.client.images.get(tag).id)

    def _debootstrap(self, ref: str) -> None:
        if shutil.which("debootstrap") is None:
            raise RuntimeImageError(
                "no registry answers and debootstrap is not installed: "
                "apt-get install debootstrap (or make a registry reachable)"
            )
        mirror = self.mirror or debian_mirror()
        with tempfile.TemporaryDirectory(prefix="podium-rootfs-") as tmp:
            rootfs = Path(tmp) / "rootfs"
            cmd = [
                "debootstrap", "--variant=minbase", f"--include={DEBOOTSTRAP_PACKAGES}",
                "bookworm", str(rootfs), mirror,
            ]  # fmt: skip
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
            if done.returncode != 0:
                raise RuntimeImageError(
                    f"debootstrap from {mirror} failed: {done.stdout[-800:]}{done.stderr[-800:]}"
                )
            for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
                shutil.rmtree(rootfs / junk, ignore_errors=True)
                (rootfs / junk).mkdir(parents=True, exist_ok=True)
            self._import_rootfs(rootfs, ref)

    def _import_rootfs(self, rootfs: Path, ref: str) -> None:
        repository, tag = ref.rsplit(":", 1)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        assert tar.stdout is not None
        with translate_docker_errors(f"importing {ref}"):
            self.client.api.import_image_from_stream(
                tar.stdout, repository=repository, tag=tag, changes=['CMD ["/bin/bash"]']
            )
        if tar.wait() != 0:
            raise RuntimeImageError(f"packing the bootstrapped root filesystem for {ref} failed")


def _stream_lines(stream: Iterator[dict[str, object]]) -> Iterator[str]:
    """Flatten the engine's build stream into text lines; errors come back prefixed ``ERROR:``."""
    buffer = io.StringIO()
    for chunk in stream:
        if "errorDetail" in chunk or "error" in chunk:
            yield f"ERROR:{chunk.get('error') or chunk.get('errorDetail')}"
            return
        text = chunk.get("stream")
        if isinstance(text, str):
            buffer.write(text)
            if text.endswith("\n"):
                yield buffer.getvalue()
                buffer = io.StringIO()
