"""Building participants' contexts: the "builds" rows of the hostile catalogue (SECURITY.md).

Each attack is a real build on the real engine. Every test asserts the error and its message,
and that nothing the build made is left: the images named in its log are gone (the base
excepted) and no container carries the test's label.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import re
import socket
import socketserver
import tarfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from sandbox.build_network import PackageAccess
from sandbox.build_result import verify_result
from sandbox.build_steps import StepReader
from sandbox.building import BuildLimits, BuiltImage, build_image
from sandbox.dockerfile import check_dockerfile
from sandbox.errors import ArchiveError, BuildError, Cancelled, ImageError

pytestmark = pytest.mark.docker

BASE = "podium/runtime-python:3.11"
LABEL = "org.podium.test"
VALUE = "building"
LABELS = {LABEL: VALUE}
FAST = BuildLimits(wall_seconds=120, memory_mb=256, processes=64, disk_mb=300, layer_mb=200)
_IMAGE_LINE = re.compile(r"^ ---> ([0-9a-f]{12})\s*$", re.M)


def context(path: Path, files: dict[str, str | bytes]) -> Path:
    """A context archive; the format follows the suffix (.tar, .tar.gz, .zip)."""
    data = {name: body.encode() if isinstance(body, str) else body for name, body in files.items()}
    if path.suffix == ".zip":
        with zipfile.ZipFile(path, "w") as zf:
            for name, body in data.items():
                zf.writestr(name, body)
        return path
    with tarfile.open(path, "w:gz" if path.name.endswith(".gz") else "w") as tf:
        for name, body in data.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tf.addfile(info, io.BytesIO(body))
    return path


def dockerfile(*steps: str, base: str = BASE) -> str:
    return "\n".join([f"FROM {base}", *steps]) + "\n"


Build = Callable[..., BuiltImage]


@pytest.fixture
def build(docker_client: docker.DockerClient, tmp_path: Path) -> Iterator[Build]:
    """Build files; afterwards check and remove what the build left."""
    logs: list[str] = []
    built: list[str] = []

    def run(files: dict[str, str], limits: BuildLimits = FAST, **kwargs: Any) -> BuiltImage:
        archive = context(tmp_path / f"c{len(logs) + len(built)}.tar", dict(files))
        try:
            image = build_image(docker_client, archive, limits, labels=LABELS, **kwargs)
        except BuildError as error:
            logs.append(error.log_tail)
            raise
        built.append(image.image_id)
        return image

    yield run
    for image in built:
        docker_client.api.remove_image(image, force=True)
    base_id = docker_client.api.inspect_image(BASE)["Id"][7:19]
    for log in logs:  # a failed build keeps nothing: the layers it printed are gone
        for short in set(_IMAGE_LINE.findall(log)) - {base_id}:
            with pytest.raises(docker.errors.ImageNotFound):
                docker_client.api.inspect_image(short)
    assert docker_client.api.containers(all=True, filters={"label": f"{LABEL}={VALUE}"}) == []


GOOD = {"Dockerfile": dockerfile("COPY hello.txt /hello.txt", 'CMD ["cat", "/hello.txt"]'),
        "hello.txt": "hello from the context\n"}  # fmt: skip


@pytest.mark.parametrize("name,prefix", [("c.tar", ""), ("c.tar.gz", ""), ("c.zip", "kit/")])
def test_good_context_builds_and_runs(
    docker_client: docker.DockerClient, tmp_path: Path, name: str, prefix: str
) -> None:
    files = {prefix + key: value for key, value in GOOD.items()}
    built = build_image(docker_client, context(tmp_path / name, files), FAST, labels=LABELS)
    try:
        labels = docker_client.api.inspect_image(built.image_id)["Config"]["Labels"]
        assert labels[LABEL] == VALUE and "Successfully built" in built.build_log
        output = docker_client.containers.run(built.image_id, remove=True, network_mode="none")
        assert output == b"hello from the context\n"
    finally:
        docker_client.api.remove_image(built.image_id, force=True)


def test_multi_stage_build_keeps_only_the_result(
    build: Build, docker_client: docker.DockerClient
) -> None:
    steps = (
        f"FROM {BASE} AS maker\nRUN echo made > /made\nFROM {BASE}\n"
        'COPY --from=maker /made /m\nCOPY --from=0 /made /n\nCMD ["cat", "/m"]\n'
    )
    image = build({"Dockerfile": steps})
    stage = [line for line in image.build_log.splitlines() if line.startswith(" ---> ")]
    assert docker_client.containers.run(image.image_id, remove=True) == b"made\n"
    # the first stage's result is not the image's ancestor: it is not kept
    first_stage = stage[1].split()[-1]
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.api.inspect_image(first_stage)


def other_team_image(client: docker.DockerClient) -> str:
    return str(client.api.inspect_image("podium/runtime-sklearn:3.11")["Id"])


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("FROM {prefix}\n", "starts FROM {prefix}, which builds may not start from"),
        ("FROM {full}\n", "which builds may not start from"),
        ("FROM podium-test/other-team:latest\n", "which builds may not start from"),
        ("ARG B={prefix}\nFROM $B\n", r"uses a variable, quote or escape in its image name"),
        ("ARG B=x\nFROM ${{B}}\n", r"uses a variable"),
        ("FROM {base}\nCOPY --from={prefix} /a /b\n", "which is not an earlier stage"),
        ("FROM {base}\nCOPY --from=later /a /b\nFROM {base} AS later\n", "not an earlier stage"),
        ("FROM {base}\nADD https://example.org/x /x\n", "a URL or a variable"),
        ('FROM {base}\nADD ["http://169.254.169.254/", "/x"]\n', "a URL or a variable"),
        ("FROM --platform=linux/amd64 {base}\n", "has the flag --platform"),
        ("FROM scratch\n", "starts FROM scratch"),
        ("RUN echo\n", "comes before the first FROM|has no FROM"),
    ],
)
def test_refused_before_building(
    build, docker_client: docker.DockerClient, text: str, fragment: str
) -> None:
    full = other_team_image(docker_client)
    values = {"prefix": full[7:12], "full": full, "base": BASE}
    with pytest.raises(ImageError, match=fragment.format(**values)) as info:
        build({"Dockerfile": text.format(**values)})
    assert not isinstance(info.value, BuildError)  # refused before the engine saw it


def test_builder_reads_tricky_dockerfiles_as_the_check_does(build: Build) -> None:
    tricky = (
        "\ufeff# escape=`\r\n"
        f"FROM {BASE}\r\n"
        "RUN echo one `\r\n"
        "# a comment inside the continuation\r\n"
        "\r\n"
        "  two\r\n"
        'CMD ["true"]\r\n'
    )
    image = build({"Dockerfile": tricky})
    assert "Step 2/4 : RUN echo one   two" in image.build_log


def test_step_reading_mismatch_stops_the_build() -> None:
    check = check_dockerfile(dockerfile('CMD ["true"]'), [BASE])
    steps = StepReader(check, {BASE: "c965ef8053bc"}, extra_steps=0, log_kb=16)
    steps.record({"stream": f"Step 1/2 : FROM {BASE}"})
    steps.record({"stream": " ---> 0123456789ab\n"})  # the engine resolved something else
    assert steps.refusal is not None and "not one of the allowed bases" in steps.refusal
    steps = StepReader(check, {BASE: "c965ef8053bc"}, extra_steps=0, log_kb=16)
    steps.record({"stream": f"Step 1/3 : FROM {BASE}"})  # the engine counts another step
    assert steps.refusal is not None and "read your Dockerfile differently" in steps.refusal


def test_result_must_descend_through_its_own_layers(
    build: Build, docker_client: docker.DockerClient
) -> None:
    image = build(GOOD)
    base_id = docker_client.api.inspect_image(BASE)["Id"][7:19]
    with pytest.raises(ImageError, match="through layers of this build only"):
        verify_result(  # none of its layers were made by "this" build
            docker_client, image.image_id, {BASE: base_id}, made=set(), image_mb=10**5,
            layer_mb=10**5,
        )  # fmt: skip


def test_failing_step_gives_its_log(build: Build) -> None:
    with pytest.raises(
        BuildError, match="your build failed: .*returned a non-zero code: 3"
    ) as info:
        build({"Dockerfile": dockerfile("RUN echo before-the-failure && exit 3")})
    assert "before-the-failure" in info.value.log_tail


def test_disk_fill_is_stopped_at_the_cap(build: Build) -> None:
    fill = "RUN for i in $(seq 1 40); do head -c 50000000 /dev/zero > /pad$i; done"
    with pytest.raises(BuildError, match=r"wrote more than 300 MB .* limit for builds is 300 MB"):
        build({"Dockerfile": dockerfile(fill, 'CMD ["true"]')})


def test_big_file_hits_the_layer_cap(build: Build) -> None:
    limits = replace(FAST, layer_mb=20)
    with pytest.raises(BuildError, match="larger than 20 MB; the limit is 20 MB per file"):
        build({"Dockerfile": dockerfile("RUN head -c 30000000 /dev/zero > /pad")}, limits)


def test_big_layer_of_small_files_is_refused(build: Build) -> None:
    limits = replace(FAST, layer_mb=20, disk_mb=300)
    many = "RUN for i in $(seq 1 30); do head -c 1000000 /dev/zero > /f$i; done"
    with pytest.raises(BuildError, match=r"a layer of your image is 2\d MB .* limit is 20 MB"):
        build({"Dockerfile": dockerfile(many, 'CMD ["true"]')}, limits)


def test_image_over_its_size_cap_is_refused(build: Build) -> None:
    limits = replace(FAST, image_mb=50)  # the base alone is larger
    with pytest.raises(BuildError, match=r"your image is \d+ MB; the limit is 50 MB"):
        build({"Dockerfile": dockerfile('CMD ["true"]')}, limits)


BOMB = """
import os, time
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)
"""


def test_fork_bomb_stops_at_the_process_limit(build: Build) -> None:
    limits = replace(FAST, wall_seconds=15, processes=32)
    files = {"Dockerfile": dockerfile("COPY bomb.py /b.py", "RUN python3 /b.py"), "bomb.py": BOMB}
    with pytest.raises(BuildError, match="more than 32 processes at once"):
        build(files, limits)


def test_memory_bomb_stops_at_the_memory_limit(build: Build) -> None:
    grow = "RUN python3 -c \"exec('b = []\\nwhile True: b.append(bytearray(16 << 20))')\""
    with pytest.raises(BuildError, match="more than 256 MB of memory"):
        build({"Dockerfile": dockerfile(grow)})


def test_cpu_quota_applies_to_steps(build: Build) -> None:
    limits = replace(FAST, cpus=0.5)
    image = build({"Dockerfile": dockerfile("RUN cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us")}, limits)
    assert "\n50000\n" in image.build_log


def test_build_past_its_wall_limit_is_stopped(build: Build) -> None:
    started = time.monotonic()
    with pytest.raises(BuildError, match=r"ran longer than 5 s and was stopped") as info:
        build({"Dockerfile": dockerfile("RUN echo started-sleeping && sleep 60")},
              replace(FAST, wall_seconds=5))  # fmt: skip
    assert time.monotonic() - started < 30
    assert "started-sleeping" in info.value.log_tail


def test_cancel_stops_the_build_within_seconds(build: Build) -> None:
    cancel = threading.Event()
    threading.Timer(2.0, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        build({"Dockerfile": dockerfile("RUN sleep 60")}, cancel=cancel)
    assert time.monotonic() - started < 15


def test_context_without_dockerfile_refused(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    archive = context(tmp_path / "c.zip", {"a/Dockerfile": "FROM x\n", "b/x.txt": ""})
    with pytest.raises(ImageError, match=r"no Dockerfile at its root .*\(found: a/Dockerfile\)"):
        build_image(docker_client, archive, FAST)


def test_unsafe_context_refused(docker_client: docker.DockerClient, tmp_path: Path) -> None:
    archive = context(tmp_path / "c.tar", {"Dockerfile": "FROM x\n", "../escape": ""})
    with pytest.raises(ArchiveError, match="traversal"):
        build_image(docker_client, archive, FAST)


# --- the build network --------------------------------------------------------------------


class _Counter(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int]) -> None:
        self.hits = 0
        super().__init__(address, _Hit)


class _Hit(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.hits += 1  # type: ignore[attr-defined]
        self.request.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 7\r\n\r\nreached")


def _host_address() -> str:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.123", 9))  # no packet is sent: this picks the outward address
        return str(probe.getsockname()[0])
    finally:
        probe.close()


@pytest.fixture
def listeners(docker_client: docker.DockerClient) -> Iterator[dict[str, _Counter]]:
    """Servers on the host's 0.0.0.0 and on the default bridge's gateway address."""
    config = docker_client.api.inspect_network("bridge")["IPAM"]["Config"][0]
    gateway = config.get("Gateway") or str(next(ipaddress.ip_network(config["Subnet"]).hosts()))
    servers = {"any": _Counter(("0.0.0.0", 0)), "gateway": _Counter((gateway, 0))}
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield servers
    for server in servers.values():
        server.shutdown()
        server.server_close()


PROBE = """
import json, os, socket, sys, urllib.request
targets = json.loads(sys.argv[1])
proxy = os.environ.get("HTTP_PROXY", "")
out = {}
for name, (host, port) in targets.items():
    try:
        socket.create_connection((host, port), timeout=3).close()
        out[name] = "reached"
    except OSError as e:
        out[name] = type(e).__name__
    if proxy:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy}))
        try:
            out[name + "_via_proxy"] = opener.open(f"http://{host}:{port}/", timeout=5).status
        except Exception as e:
            out[name + "_via_proxy"] = str(getattr(e, "code", type(e).__name__))
print("RESULT " + json.dumps(out))
"""


def _targets(listeners: dict[str, _Counter]) -> str:
    any_port = listeners["any"].server_address[1]
    gateway, gateway_port = listeners["gateway"].server_address[:2]
    return json.dumps({
        "host": [_host_address(), any_port], "loopback_of_host": ["127.0.0.1", any_port],
        "bridge_gateway": [gateway, gateway_port], "gateway_any": [gateway, any_port],
        "metadata": ["169.254.169.254", 80],
    })  # fmt: skip


def _probe_steps(targets: str) -> list[str]:
    return ["COPY probe.py /probe.py", f"RUN python3 /probe.py '{targets}'", 'CMD ["true"]']


def test_packages_network_reaches_the_indexes_and_nothing_else(
    build, docker_client: docker.DockerClient, listeners: dict[str, _Counter]
) -> None:
    steps = ["RUN pip install --no-cache-dir six==1.16.0 && python -c 'import six'",
             *_probe_steps(_targets(listeners))]  # fmt: skip
    image = build({"Dockerfile": dockerfile(*steps), "probe.py": PROBE},
                  packages=PackageAccess(docker_client))  # fmt: skip
    assert "Successfully installed six-1.16.0" in image.build_log
    result = json.loads(image.build_log.split("RESULT ", 1)[1].splitlines()[0])
    for name in ("host", "loopback_of_host", "bridge_gateway", "gateway_any", "metadata"):
        assert result[name] != "reached", name
        assert result[name + "_via_proxy"] == "403", name
    assert all(server.hits == 0 for server in listeners.values())
    env = docker_client.api.inspect_image(image.image_id)["Config"]["Env"] or []
    assert not any("PROXY" in entry.upper() for entry in env)  # not kept in the image


def test_no_network_reaches_nothing(build: Build, listeners: dict[str, _Counter]) -> None:
    steps = ["RUN pip download --no-deps -d /tmp/w six==1.16.0 || echo NO-PYPI",
             *_probe_steps(_targets(listeners))]  # fmt: skip
    image = build({"Dockerfile": dockerfile(*steps), "probe.py": PROBE})
    assert "NO-PYPI" in image.build_log
    result = json.loads(image.build_log.split("RESULT ", 1)[1].splitlines()[0])
    assert all(value != "reached" for value in result.values())
    assert all(server.hits == 0 for server in listeners.values())


def test_reaper_removes_what_crashed_builds_left(docker_client: docker.DockerClient) -> None:
    from sandbox.build_network import DEADLINE_LABEL, NETWORK_LABEL
    from sandbox.reaper import reap_builds

    api = docker_client.api
    base = f"podium-test/base:{uuid.uuid4().hex[:12]}"  # our own base: other builds untouched
    made = _quick_build(api, f"FROM {BASE}\nLABEL {LABEL}={VALUE}\n", tag=base)
    layer = _quick_build(api, f"FROM {base}\nRUN echo left-by-a-crash > /x\n")
    kept = _quick_build(api, f"FROM {base}\nRUN echo evaluated > /x\nLABEL keep.me=1\n")
    stale = api.create_network(
        f"podium-build-test-{uuid.uuid4().hex[:8]}", internal=True,
        labels={NETWORK_LABEL: "1", DEADLINE_LABEL: str(int(time.time()) - 1)},
    )["Id"]  # fmt: skip
    try:
        report = reap_builds(docker_client, grace_seconds=0, keep_label="keep.me", bases=(base,))
        assert layer[7:19] in report.images and kept[7:19] not in report.images
        with pytest.raises(docker.errors.ImageNotFound):
            api.inspect_image(layer)
        assert api.inspect_image(kept)["Id"] == kept
        with pytest.raises(docker.errors.NotFound):
            api.inspect_network(stale)
    finally:
        for image in (kept, made):
            with contextlib.suppress(docker.errors.APIError):
                api.remove_image(image, force=True)


def _quick_build(api: docker.APIClient, dockerfile: str, tag: str | None = None) -> str:
    data = dockerfile.encode()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tf:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    archive.seek(0)
    image = ""
    for chunk in api.build(fileobj=archive, custom_context=True, tag=tag, rm=True, decode=True,
                           network_mode="none"):  # fmt: skip
        image = chunk.get("aux", {}).get("ID", image)
    assert image, dockerfile
    return str(image)


@pytest.mark.parametrize("with_packages", [False, True])
def test_the_workers_docker_proxies_never_reach_a_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_packages: bool
) -> None:
    """docker-py copies ~/.docker/config.json's proxies (often with credentials) into builds
    unless told not to: a build sees only the package proxy, or no proxy at all."""
    config = tmp_path / "docker-config"
    config.mkdir()
    proxy = "http://worker:hunter2@proxy.internal:3128"
    proxies = {"default": {"httpProxy": proxy, "httpsProxy": proxy, "noProxy": "localhost"}}
    (config / "config.json").write_text(json.dumps({"proxies": proxies}))
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    client = docker.from_env()
    assert client.api._proxy_configs.get_environment()  # the SDK did read the proxies
    steps = ["RUN env | sort | sed 's/^/ENV-SEEN /'", 'CMD ["true"]']
    archive = context(tmp_path / "c.tar", {"Dockerfile": dockerfile(*steps)})
    packages = PackageAccess(client) if with_packages else None
    image = build_image(client, archive, FAST, labels=LABELS, packages=packages)
    try:
        seen = [line for line in image.build_log.splitlines() if line.startswith("ENV-SEEN ")]
        assert seen and "hunter2" not in image.build_log and "proxy.internal" not in image.build_log
        proxied = [line for line in seen if "proxy" in line.lower()]
        if with_packages:
            assert proxied and all(":3128" in line for line in proxied)
        else:
            assert proxied == []
        config_env = client.api.inspect_image(image.image_id)["Config"]["Env"] or []
        assert not [entry for entry in config_env if "proxy" in entry.lower()]
    finally:
        client.api.remove_image(image.image_id, force=True)
