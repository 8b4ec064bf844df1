"""The registry is out of reach of participants' code: a build (on the packages network, behind
the package proxy) and a sandbox run (no network) try the registry's port on loopback, on the
host's outward address and on the bridge's gateway, directly and through the proxy; an
``ADD`` of the registry's URL is refused before building. The registry sees no request.
"""

from __future__ import annotations

import io
import ipaddress
import json
import socket
import tarfile
from pathlib import Path

import docker
import pytest

from podium.settings import Settings
from sandbox.build_network import PackageAccess
from sandbox.building import BuildLimits, build_image
from sandbox.errors import ImageError
from sandbox.limits import SandboxLimits
from sandbox.runner import SandboxRunner
from tests.conftest import TEST_LABEL

pytestmark = pytest.mark.docker
BASE = "podium/runtime-python:3.11"
LIMITS = BuildLimits(wall_seconds=120, memory_mb=256, processes=64, disk_mb=300, layer_mb=200)
PROBE = """
import json, os, sys, socket, urllib.request
out = {}
for name, (host, port) in json.loads(sys.argv[1]).items():
    try:
        socket.create_connection((host, port), timeout=3).close()
        out[name] = "reached"
    except OSError as error:
        out[name] = type(error).__name__
    proxy = os.environ.get("HTTP_PROXY", "")
    if proxy:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy}))
        try:
            out[name + "_via_proxy"] = opener.open(f"http://{host}:{port}/v2/", timeout=5).status
        except Exception as error:
            out[name + "_via_proxy"] = str(getattr(error, "code", type(error).__name__))
print("RESULT " + json.dumps(out))
"""


def _outward_address() -> str:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.123", 9))  # no packet is sent: this picks the outward address
        return str(probe.getsockname()[0])
    finally:
        probe.close()


def _targets(docker_client: docker.DockerClient, port: int) -> str:
    config = docker_client.api.inspect_network("bridge")["IPAM"]["Config"][0]
    gateway = config.get("Gateway") or str(next(ipaddress.ip_network(config["Subnet"]).hosts()))
    return json.dumps({
        "loopback": ["127.0.0.1", port], "host": [_outward_address(), port],
        "gateway": [gateway, port],
    })  # fmt: skip


def _context(path: Path, dockerfile: str) -> Path:
    with tarfile.open(path, "w") as archive:
        for name, body in (("Dockerfile", dockerfile), ("probe.py", PROBE)):
            data = body.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _requests_seen(settings: Settings) -> int:
    log = (settings.home / "registry" / "registry.log").read_text(errors="replace")
    return log.count('"GET /v2/') + log.count('"HEAD /v2/')


def test_a_build_cannot_reach_the_registry(
    docker_client: docker.DockerClient, registry: str, settings: Settings, tmp_path: Path
) -> None:
    seen = _requests_seen(settings)
    targets = _targets(docker_client, settings.registry_port)
    dockerfile = f"FROM {BASE}\nCOPY probe.py /probe.py\nRUN python3 /probe.py '{targets}'\n"
    image = build_image(
        docker_client, _context(tmp_path / "c.tar", dockerfile), LIMITS,
        labels={TEST_LABEL: "registry"}, packages=PackageAccess(docker_client),
    )  # fmt: skip
    try:
        result = json.loads(image.build_log.split("RESULT ", 1)[1].splitlines()[0])
    finally:
        docker_client.api.remove_image(image.image_id, force=True)
    for name in ("loopback", "host", "gateway"):
        assert result[name] != "reached", (name, result)
        assert result[name + "_via_proxy"] == "403", (name, result)
    assert _requests_seen(settings) == seen


def test_a_build_cannot_add_from_the_registry(
    docker_client: docker.DockerClient, registry: str, settings: Settings, tmp_path: Path
) -> None:
    url = f"{registry}/v2/_catalog"
    dockerfile = f"FROM {BASE}\nADD {url} /catalog.json\n"
    seen = _requests_seen(settings)
    with pytest.raises(ImageError, match="ADD on line 2 adds http://127.0.0.1"):
        build_image(
            docker_client, _context(tmp_path / "c.tar", dockerfile), LIMITS,
            labels={TEST_LABEL: "registry"},
        )  # fmt: skip
    assert _requests_seen(settings) == seen


def test_a_sandbox_run_cannot_reach_the_registry(
    docker_client: docker.DockerClient, registry: str, settings: Settings, tmp_path: Path
) -> None:
    seen = _requests_seen(settings)
    targets = _targets(docker_client, settings.registry_port)
    dockerfile = (
        f"FROM {BASE}\nCOPY probe.py /probe.py\n"
        f'ENTRYPOINT ["python3", "/probe.py", {json.dumps(targets)}]\n'
    )
    image, _ = docker_client.images.build(
        fileobj=_context(tmp_path / "r.tar", dockerfile).open("rb"), custom_context=True,
        rm=True, labels={TEST_LABEL: "registry"}, network_mode="none",
    )  # fmt: skip
    (tmp_path / "in").mkdir()
    try:
        result = SandboxRunner(docker_client).run(
            str(image.id), tmp_path / "in", tmp_path / "out", SandboxLimits(memory_mb=256)
        )
    finally:
        docker_client.images.remove(str(image.id), force=True)
    out = json.loads(result.stdout_tail.split("RESULT ", 1)[1].splitlines()[0])
    assert all(value != "reached" for value in out.values()), out
    assert _requests_seen(settings) == seen
