"""The network of a participant build: nothing, or the package indexes through a proxy.

``packages`` gives each build its own internal bridge network with no address for the host on
it (``inhibit_ipv4``), so a ``RUN`` step reaches neither the host, nor the bridge gateway, nor
the metadata address, nor any other build. The one other member of that network is the package
proxy (``sandbox/proxy/build_proxy.py``, in its own locked-down container on an egress bridge),
which forwards to the allow-listed package hosts only. The build finds it through the
``HTTP(S)_PROXY`` build arguments, which Docker passes to ``RUN`` steps without keeping them in
the image.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors

from sandbox.docker_errors import translate_docker_errors
from sandbox.errors import SandboxError

PROXY_SCRIPT = Path(__file__).parent / "proxy" / "build_proxy.py"
PROXY_REPOSITORY = "podium/build-proxy"
PROXY_PORT = 3128
PROXY_BASE = "podium/runtime-python:3.11"
EGRESS_NETWORK = "podium-build-egress"
NETWORK_LABEL = "org.podium.build-network"
DEADLINE_LABEL = "org.podium.deadline"
PROXY_LABEL = "org.podium.build-proxy"
DEFAULT_PACKAGE_HOSTS = (
    "pypi.org",
    "files.pythonhosted.org",
    "deb.debian.org",
    "security.debian.org",
)


@dataclass(frozen=True)
class BuildNetwork:
    """What a build is given: its network mode and its build arguments."""

    mode: str
    build_args: dict[str, str]


NO_NETWORK = BuildNetwork("none", {})


class PackageAccess:
    """Gives builds a private network whose only way out is the package proxy.

    Args:
        client: the engine the builds run on.
        hosts: host names (or ``*.suffix``) the proxy forwards to.
        blocked: extra networks the proxy never forwards to (the site's own, in CIDR).
    """

    def __init__(
        self,
        client: docker.DockerClient,
        hosts: tuple[str, ...] = DEFAULT_PACKAGE_HOSTS,
        blocked: tuple[str, ...] = (),
    ) -> None:
        self.client = client
        self.hosts = hosts
        self.blocked = blocked
        recipe = PROXY_SCRIPT.read_bytes() + repr((hosts, blocked)).encode()
        self.key = hashlib.sha256(recipe).hexdigest()[:12]
        self.proxy_name = f"podium-build-proxy-{self.key}"

    @contextlib.contextmanager
    def network(self, build_id: str, wall_seconds: float) -> Iterator[BuildNetwork]:
        """A fresh network for one build, removed (with the proxy's leg in it) afterwards.

        Raises:
            SandboxError: the proxy or the network could not be set up (a platform fault).
            EngineUnavailable: the engine could not be reached.
        """
        proxy = self._proxy()
        name = f"podium-build-{build_id}"
        api = self.client.api
        with translate_docker_errors("making the build's network"):
            network_id = api.create_network(
                name,
                driver="bridge",
                internal=True,
                check_duplicate=True,
                options={
                    "com.docker.network.bridge.inhibit_ipv4": "true",
                    "com.docker.network.bridge.enable_ip_masquerade": "false",
                },
                labels={
                    NETWORK_LABEL: "1",
                    DEADLINE_LABEL: str(int(time.time() + wall_seconds + 300)),
                },
            )["Id"]
        try:
            with translate_docker_errors("connecting the package proxy"):
                api.connect_container_to_network(proxy, network_id)
                address = _address(api.inspect_container(proxy), name)
            url = f"http://{address}:{PROXY_PORT}"
            args = {key: url for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
            yield BuildNetwork(name, args)
        finally:
            remove_network(self.client, network_id, proxy)

    def _proxy(self) -> str:
        """The running proxy container's id, started (and its image built) when missing."""
        api = self.client.api
        with translate_docker_errors("looking for the package proxy"):
            found = api.containers(all=True, filters={"name": f"^/{self.proxy_name}$"})
            if found and found[0]["State"] == "running":
                return str(found[0]["Id"])
            if found:
                api.start(found[0]["Id"])
                return str(found[0]["Id"])
            return self._start_proxy()

    def _start_proxy(self) -> str:
        api = self.client.api
        image = self._proxy_image()
        _ensure_egress(api)
        host_config = api.create_host_config(
            network_mode=EGRESS_NETWORK,
            read_only=True,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges:true"],
            mem_limit="256m",
            memswap_limit="256m",
            pids_limit=256,
            restart_policy={"Name": "unless-stopped"},
            log_config={"Type": "json-file", "Config": {"max-size": "10m", "max-file": "2"}},
        )
        command = [
            "--port", str(PROXY_PORT),
            "--allow", ",".join(self.hosts), "--block", ",".join(self.blocked),
        ]  # fmt: skip
        try:
            created = api.create_container(
                image,
                command=command,
                name=self.proxy_name,
                user="65534:65534",
                labels={PROXY_LABEL: self.key},
                host_config=host_config,
                use_config_proxy=False,
                healthcheck={"Test": ["NONE"]},
            )
        except docker.errors.APIError as error:
            if error.status_code != 409:  # 409: another worker made it first: use that one
                raise
            return self._proxy()
        api.start(created["Id"])
        return str(created["Id"])

    def _proxy_image(self) -> str:
        tag = f"{PROXY_REPOSITORY}:{self.key}"
        api = self.client.api
        with contextlib.suppress(docker.errors.ImageNotFound):
            return str(api.inspect_image(tag)["Id"])
        dockerfile = (
            f"FROM {PROXY_BASE}\nCOPY build_proxy.py /opt/podium/build_proxy.py\n"
            'USER 65534:65534\nENTRYPOINT ["python3", "/opt/podium/build_proxy.py"]\n'
        )
        context = io.BytesIO()
        with tarfile.open(fileobj=context, mode="w") as tar:
            for name, data in (
                ("Dockerfile", dockerfile.encode()),
                ("build_proxy.py", PROXY_SCRIPT.read_bytes()),
            ):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        context.seek(0)
        with translate_docker_errors(f"building {tag}"):
            for chunk in api.build(
                fileobj=context, custom_context=True, tag=tag, rm=True, forcerm=True,
                decode=True, network_mode="none", pull=False, use_config_proxy=False,
                labels={PROXY_LABEL: self.key},
            ):  # fmt: skip
                if "error" in chunk:
                    raise SandboxError(f"could not build {tag}: {chunk['error']}")
            return str(api.inspect_image(tag)["Id"])


def remove_network(client: docker.DockerClient, network: str, proxy: str | None = None) -> None:
    """Disconnect the proxy (and anything else) from a build network and remove it."""
    api = client.api
    with translate_docker_errors("removing the build's network"):
        try:
            attached = api.inspect_network(network).get("Containers") or {}
        except docker.errors.NotFound:
            return
        for container in {*attached, *([proxy] if proxy else [])}:
            with contextlib.suppress(docker.errors.APIError):
                api.disconnect_container_from_network(container, network, force=True)
        with contextlib.suppress(docker.errors.NotFound):
            api.remove_network(network)


def _ensure_egress(api: docker.APIClient) -> None:
    with translate_docker_errors("making the package proxy's network"):
        if any(n.get("Name") == EGRESS_NETWORK for n in api.networks(names=[EGRESS_NETWORK])):
            return
        with contextlib.suppress(docker.errors.APIError):  # made by another worker meanwhile
            api.create_network(
                EGRESS_NETWORK, driver="bridge", check_duplicate=True, labels={PROXY_LABEL: "1"}
            )


def _address(attrs: dict[str, Any], network: str) -> str:
    networks = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
    address = (networks.get(network) or {}).get("IPAddress")
    if not address:
        raise SandboxError(f"the package proxy got no address on {network}")
    return str(address)
