"""The operator's contract of docker-compose.yml, checked with the guide's commands.

From this clone: build the images, bring the stack up with two worker containers, create an
administrator, upload an example challenge and submit its baseline twice through the API; both
are evaluated, by two different workers, their scores are in PostgreSQL and their runs in the
MLflow server; the platform's health shows both workers. Then a worker in a second compose
project (its own network: no name of the first resolves there) reaches PostgreSQL, Redis, MLflow
and the store (over SFTP) through published ports only, and evaluates a submission alone. At
the end `docker-compose down` leaves nothing but the named volumes.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import httpx
import pytest

from challenges.examples import build_example
from sandbox.build_network import EGRESS_NETWORK, PROXY_LABEL
from tests.conftest import TEST_LABEL
from tests.deploy.compose_stack import (
    IMAGE_TAG,
    REPO,
    Stack,
    build_images,
    prepare_staging,
    release_staging,
    require,
    require_root,
    run,
    submission_id,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow]
SLUG = "breast-cancer-diagnosis"
ADMIN_PASSWORD = "admin-" + secrets.token_hex(8)
STUDENT_PASSWORD = "student-" + secrets.token_hex(8)
TERMINAL = {"finished", "failed", "error", "cancelled"}
ANONYMOUS_GET = (
    "import sys, urllib.request, urllib.error\n"
    "try:\n    print(urllib.request.urlopen(sys.argv[1], timeout=10).status)\n"
    "except urllib.error.HTTPError as error:\n    print(error.code)\n"
)


@pytest.fixture(scope="module")
def bridge_address(docker_client: docker.DockerClient) -> Iterator[str]:
    """The host's address on a bridge of this test: where the backends are published for the
    worker of the second project (as a private network address would be between hosts)."""
    network = docker_client.networks.create(
        f"podiumtest-{secrets.token_hex(4)}", driver="bridge", labels={TEST_LABEL: "1"}
    )
    try:
        network.reload()
        yield str(network.attrs["IPAM"]["Config"][0]["Gateway"])
    finally:
        network.remove()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, runtime_python: str, bridge_address: str
) -> Iterator[Stack]:
    compose = require("docker-compose")
    require_root()
    the_stack = Stack(compose, tmp_path_factory.mktemp("compose"), bridge_address)
    build_images(compose, the_stack.env_file)
    prepare_staging(the_stack.staging)
    try:
        the_stack.compose_run("up", "-d", "--scale", "worker=2")
        the_stack.wait_api()
        yield the_stack
    finally:
        the_stack.remove_everything()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_example(SLUG, tmp_path_factory.mktemp("examples"))


@pytest.fixture(scope="module")
def student(stack: Stack, bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The CLI environment of a student, once an administrator has created the challenge."""
    stack.exec("api", "podium", "users", "create-admin", "admin",
               "--email", "admin@example.org", "--password", ADMIN_PASSWORD)  # fmt: skip
    admin = _cli_env(tmp_path_factory.mktemp("admin-cli"), stack)
    _podium(admin, "login", "--username", "admin", "--password", ADMIN_PASSWORD)
    _podium(admin, "challenge", "create", str(bundle))
    body = {"username": "student", "email": "student@example.org", "password": STUDENT_PASSWORD}
    answer = httpx.post(f"{stack.api}/api/v1/auth/register", json=body, timeout=30)
    assert answer.status_code == 201, answer.text
    env = _cli_env(tmp_path_factory.mktemp("student-cli"), stack)
    _podium(env, "login", "--username", "student", "--password", STUDENT_PASSWORD)
    env["TOKEN"] = json.loads((Path(env["XDG_CONFIG_HOME"]) / "podium/config.json").read_text())[
        "token"
    ]
    return env


def _cli_env(folder: Path, stack: Stack) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(folder), "PODIUM_SERVER": stack.api}


def _podium(env: dict[str, str], *args: str) -> str:
    return run([sys.executable, "-m", "podium.cli", *args], env=env, timeout=600).stdout


def _submit(student: dict[str, str], bundle: Path) -> int:
    out = _podium(student, "submit", str(bundle / "baseline"), "--challenge", SLUG)
    return submission_id(out)


def _wait(stack: Stack, student: dict[str, str], ids: list[int], timeout: float = 900) -> None:
    headers = {"Authorization": f"Bearer {student['TOKEN']}"}
    deadline = time.monotonic() + timeout
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        for sid in sorted(pending):
            answer = httpx.get(f"{stack.api}/api/v1/submissions/{sid}", headers=headers, timeout=30)
            assert answer.status_code == 200, answer.text
            detail = answer.json()
            if detail["status"] in TERMINAL:
                assert detail["status"] == "finished", detail
                pending.discard(sid)
        time.sleep(3)
    if pending:
        logs = stack.compose_run("logs", "--no-color", "--tail=80", check=False).stdout
        raise AssertionError(f"submissions {sorted(pending)} did not finish:\n{logs[-6000:]}")


def _wait_tracked(stack: Stack, ids: list[int], timeout: float = 180) -> None:
    """Scores are written first, the MLflow run right after: wait until each has its run id."""
    deadline = time.monotonic() + timeout
    wanted = ", ".join(map(str, ids))
    query = f"select count(*) from submissions where id in ({wanted}) and mlflow_run_id <> ''"
    while time.monotonic() < deadline:
        if int(stack.sql(query)[0][0]) == len(ids):
            return
        time.sleep(2)
    raise AssertionError(f"submissions {ids} have no MLflow run after {timeout} s")


def _worker_hosts(stack: Stack, service: str = "worker", project: str | None = None) -> set[str]:
    out = run(["docker", "ps", "-q", "--no-trunc", "--filter",
               f"label=com.docker.compose.project={project or stack.project}",
               "--filter", f"label=com.docker.compose.service={service}"]).stdout  # fmt: skip
    return {container_id[:12] for container_id in out.split()}


def test_the_compose_file_refuses_to_start_without_its_secrets(tmp_path: Path) -> None:
    compose = require("docker-compose")
    empty = tmp_path / "empty.env"
    empty.write_text("")
    command = [compose, "-f", str(REPO / "docker-compose.yml"), "--env-file", str(empty)]
    done = subprocess.run(
        [*command, "config", "-q"], capture_output=True, text=True, check=False,
        env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode != 0
    assert "set POSTGRES_PASSWORD in .env (see .env.example)" in done.stderr


def test_two_workers_share_the_queue_and_scores_reach_postgresql_and_mlflow(
    stack: Stack, student: dict[str, str], bundle: Path
) -> None:
    hosts = _worker_hosts(stack)
    assert len(hosts) == 2
    health = json.loads(stack.exec("api", "podium", "platform", "status", "--json"))
    assert {w["name"].split("@")[1] for w in health["workers"] if w["alive"]} == hosts
    ids = [_submit(student, bundle), _submit(student, bundle)]
    _wait(stack, student, ids)
    _wait_tracked(stack, ids)
    rows = stack.sql(
        "select s.id, e.worker, s.mlflow_run_id, count(sc.id), "
        "max(case when sc.split = 'all' and sc.metric = 'roc_auc' then sc.value end) "
        "from submissions s join evaluations e on e.submission_id = s.id "
        "join scores sc on sc.evaluation_id = e.id "
        f"where s.id in ({ids[0]}, {ids[1]}) group by s.id, e.worker, s.mlflow_run_id"
    )
    assert sorted(int(r[0]) for r in rows) == ids
    assert {r[1].rsplit(":", 1)[0] for r in rows} == hosts  # one each: they shared the queue
    for _, _, run_id, count, roc_auc in rows:
        assert int(count) >= 3 and 0.97 <= float(roc_auc) <= 1.0
        status = stack.exec(
            "mlflow", "python", "-c",
            "import sys, mlflow; print(mlflow.MlflowClient('http://127.0.0.1:5000')"
            ".get_run(sys.argv[1]).data.metrics['all_roc_auc'])", run_id,
        )  # fmt: skip
        assert abs(float(status.strip()) - float(roc_auc)) < 1e-9
    health = json.loads(stack.exec("api", "podium", "platform", "status", "--json"))
    assert health["queues"] == {"default": 0, "gpu": 0}
    # MLflow's runs and Flower's queues are for those who hold their passwords
    for service, url in (
        ("mlflow", "http://127.0.0.1:5000/api/2.0/mlflow/experiments/search?max_results=1"),
        ("flower", "http://127.0.0.1:5555/api/workers"),
    ):
        code = stack.exec(service, "python", "-c", ANONYMOUS_GET, url).strip()
        assert code == "401", (service, code)
    for worker in health["workers"]:
        assert worker["staging_free_mb"] > 0 and worker["image_store_mb"] > 0


def test_a_worker_in_another_project_reaches_everything_over_the_network(
    stack: Stack, student: dict[str, str], bundle: Path, tmp_path: Path
) -> None:
    key = tmp_path / "store-key"
    run(["docker", "run", "--rm", "--network=none", "-v", f"{tmp_path}:/k",
         f"podium/platform:{IMAGE_TAG}", "ssh-keygen", "-q", "-t", "ed25519", "-N", "",
         "-f", "/k/store-key"])  # fmt: skip
    stack.env["PODIUM_STORE_AUTHORIZED_KEYS"] = (tmp_path / "store-key.pub").read_text().strip()
    stack.write_env()
    stack.compose_run("up", "-d", "--scale", "worker=0", profiles=("remote",))
    remote = _remote_project(stack, key, tmp_path)
    try:
        remote_run(remote, "up", "-d")
        hosts = _worker_hosts(stack, project=remote["project"])
        assert len(hosts) == 1 and not _worker_hosts(stack)
        [container] = hosts  # by label: Compose v1 and v2 name containers differently
        probe = "import socket; socket.getaddrinfo('postgres', 5432)"
        lookup = run(["docker", "exec", container, "python", "-c", probe], check=False)
        assert lookup.returncode != 0  # no name of the main project resolves there
        sid = _submit(student, bundle)
        _wait(stack, student, [sid])
        [row] = stack.sql(f"select worker from evaluations where submission_id = {sid}")
        assert row[0].rsplit(":", 1)[0] in hosts
    finally:
        remote_run(remote, "down", "--volumes", check=False)
        release_staging(Path(remote["PODIUM_STAGING"]))


def _remote_project(stack: Stack, key: Path, tmp_path: Path) -> dict[str, str]:
    key.chmod(0o600)
    staging = tmp_path / "staging"
    prepare_staging(staging)
    env = {name: stack.env[name] for name in (
        "POSTGRES_PASSWORD", "REDIS_PASSWORD", "MLFLOW_USERNAME", "MLFLOW_PASSWORD",
        "PODIUM_POSTGRES_PORT", "PODIUM_REDIS_PORT", "PODIUM_MLFLOW_PORT", "PODIUM_STORE_PORT",
        "PODIUM_IMAGE_TAG",
    )}  # fmt: skip
    env |= {"PODIUM_MAIN_HOST": stack.address, "PODIUM_STORE_KEY": str(key),
            "PODIUM_STAGING": str(staging)}  # fmt: skip
    env_file = tmp_path / "remote.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return {**env, "project": f"{stack.project}remote", "env_file": str(env_file),
            "compose": stack.compose}  # fmt: skip


def remote_run(remote: dict[str, str], *args: str, check: bool = True) -> str:
    compose_file = REPO / "deploy" / "worker-host" / "docker-compose.yml"
    return run(
        [remote["compose"], "-f", str(compose_file), "--env-file", remote["env_file"],
         "-p", remote["project"], *args], timeout=600, check=check,
    ).stdout  # fmt: skip


def test_down_leaves_nothing_but_the_named_volumes(
    stack: Stack, docker_client: docker.DockerClient
) -> None:
    build_networks_before = _build_networks(docker_client)
    stack.compose_run("--profile=remote", "down", timeout=600)
    assert stack.containers() == [] and stack.networks() == []
    assert sorted(v.removeprefix(f"{stack.project}_") for v in stack.volumes()) == [
        "mlflow-artifacts", "postgres-data", "redis-data", "registry", "store",
        "store-sftp-keys",
    ]  # fmt: skip
    assert _build_networks(docker_client) <= build_networks_before
    proxies = docker_client.api.containers(all=True, filters={"label": PROXY_LABEL})
    assert all(p["State"] == "running" for p in proxies)  # none left stopped by our workers
    mounts = run(["findmnt", "-R", "-n", "-o", "TARGET", "--target", str(stack.staging)],
                 check=False).stdout.split()  # fmt: skip
    assert [m for m in mounts if m.startswith(str(stack.staging) + "/")] == []
    runs = stack.staging / "runs"
    assert not runs.exists() or list(runs.iterdir()) == []


def _build_networks(client: docker.DockerClient) -> set[str]:
    """Per-build networks (the proxy's egress network is the engine's, shared by every Podium)."""
    names = {n["Name"] for n in client.api.networks()}
    return {n for n in names if n.startswith("podium-build-") and n != EGRESS_NETWORK}
