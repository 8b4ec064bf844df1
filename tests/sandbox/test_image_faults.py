"""Whose fault: whatever a participant's image gets wrong ends as a status, never an exception.

Each case is a real image run by the real runner under runc and under runsc. The engine words
these faults differently per runtime and raises some at create, some at start, some only as
the container's exit (see sandbox/image_faults.py); the runner must give the same answer
whichever it is: ``invalid_image`` (or ``failed`` where the participant's own code ran), with a
message that names the problem, and nothing of the run left behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from sandbox.errors import EngineUnavailable, ImageError, SandboxError
from sandbox.result import RunResult, RunStatus
from sandbox.runner import SandboxRunner
from tests.sandbox.runners import (
    FAST,
    ObservedRunner,
    build_context,
    inputs_folder,
    runner,
    with_config,
)

pytestmark = pytest.mark.docker
__all__ = ["runner"]

# A file that starts like an ELF binary but is not one, a script whose #! interpreter is
# missing, and a copy of /bin/true whose ELF loader path points nowhere.
_FILES = {
    "bad.bin": b"\x7fELF-not-really",
    "script.sh": b"#!/nonexistent/interpreter\necho hi\n",
    "plain.sh": b"echo hi\n",
}
_BASE = "COPY bad.bin script.sh plain.sh /app/\nRUN chmod 644 /app/plain.sh\n"
_NO_LOADER = (
    "RUN python -c \"d = open('/bin/true', 'rb').read(); "
    "open('/app/noloader', 'wb').write(d.replace(b'/lib64/ld-linux-x86-64.so.2', "
    "b'/lib64/ld-linux-x86-64.so.X'))\" && chmod 755 /app/noloader\n"
)
PRINT_CWD_AND_UID = '["python", "-c", "import os; print(os.getuid(), os.listdir(\'.\'))"]'

Image = Callable[..., str]


@pytest.fixture(scope="module")
def image(docker_client: docker.DockerClient, runtime_python: str) -> Iterator[Image]:
    """Build an image from the given Dockerfile lines (once per module), optionally with its
    config edited afterwards as a hand-made archive could; removed at teardown."""
    made: dict[str, str] = {}
    base_ids: list[str] = []

    def make(lines: str, edit: Callable[[dict[str, Any]], None] | None = None) -> str:
        key = lines + repr(edit)
        if key not in made:
            dockerfile = f"FROM {runtime_python}\n{_BASE}{lines}"
            image_id = build_context(docker_client, dockerfile, _FILES)
            if edit is not None:
                base_ids.append(image_id)
                image_id = with_config(docker_client, image_id, edit)
            made[key] = image_id
        return made[key]

    yield make
    for image_id in {*made.values(), *base_ids}:
        with suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(image_id, force=True)


@pytest.fixture
def run(runner: ObservedRunner, tmp_path: Path) -> Iterator[Callable[[str], RunResult]]:
    """Run an image; afterwards nothing of the test's runs may be left."""
    inputs = inputs_folder(tmp_path)
    results: list[RunResult] = []

    def go(image_id: str) -> RunResult:
        result = runner.run(image_id, inputs, tmp_path / f"out-{len(results)}", FAST)
        results.append(result)
        return result

    yield go
    for result in results:
        assert result.run_id is not None
        assert runner.leftovers(result.run_id) == []


def _set(key: str, value: object) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        config[key] = value

    return edit


ENTRYPOINT_CASES = {
    "missing-binary": ('ENTRYPOINT ["/nope"]\n', "/nope, could not be found"),
    "not-on-path": ('ENTRYPOINT ["nope"]\n', "is not on the image's PATH"),
    "not-executable": ('ENTRYPOINT ["/app/plain.sh"]\n', "/app/plain.sh, cannot be executed"),
    "a-folder": ('ENTRYPOINT ["/app"]\n', "/app, cannot be executed"),
    "exec-format": ('ENTRYPOINT ["/app/bad.bin"]\n', "(exec format error)"),
    "missing-interpreter": (
        'ENTRYPOINT ["/app/script.sh"]\n',
        "/app/script.sh, could not be found",
    ),
    "missing-loader": (_NO_LOADER + 'ENTRYPOINT ["/app/noloader"]\n', "could not be found"),
    "cmd-missing": ('CMD ["/nope"]\n', "/nope, could not be found"),
}


@pytest.mark.parametrize("case", sorted(ENTRYPOINT_CASES))
def test_an_entrypoint_that_cannot_start_is_an_invalid_image(
    run: Callable[[str], RunResult], image: Image, case: str
) -> None:
    lines, expected = ENTRYPOINT_CASES[case]
    result = run(image(lines))
    assert result.status is RunStatus.INVALID_IMAGE, result.message
    assert result.message.startswith("the program your image starts, ")
    assert expected in result.message


CONFIG_CASES = {
    "workdir-relative": (_set("WorkingDir", "app/sub"), "WORKDIR app/sub cannot be used"),
    "workdir-a-file": (_set("WorkingDir", "/etc/passwd"), "WORKDIR /etc/passwd cannot be used"),
    "volume-proc": (_set("Volumes", {"/proc": {}}), "VOLUME /proc, which the sandbox cannot"),
    "volume-dev": (_set("Volumes", {"/dev": {}}), "/dev belongs to the kernel"),
    "volume-hosts": (_set("Volumes", {"/etc/hosts": {}}), "the engine writes that file"),
    "volume-in-input": (_set("Volumes", {"/input/x": {}}), "/input is mounted read-only"),
    "volume-relative": (_set("Volumes", {"rel": {}}), "it is not an absolute path"),
    "volume-root": (_set("Volumes", {"/": {}}), "it is the root folder"),
    "volume-dotdot": (_set("Volumes", {"/tmp/../proc": {}}), "/proc belongs to the kernel"),
    "env-empty-name": (_set("Env", ["PATH=/usr/bin:/bin", "=x"]), "entry the runtime refuses"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_an_image_config_that_cannot_run_is_an_invalid_image(
    run: Callable[[str], RunResult], image: Image, case: str
) -> None:
    edit, expected = CONFIG_CASES[case]
    result = run(image('CMD ["true"]\n', edit))
    assert result.status is RunStatus.INVALID_IMAGE, result.message
    assert expected in result.message


def test_a_workdir_the_sandbox_user_cannot_enter_is_the_programs_failure(
    run: Callable[[str], RunResult], image: Image
) -> None:
    result = run(image(f"RUN mkdir -m 700 /secret\nWORKDIR /secret\nCMD {PRINT_CWD_AND_UID}\n"))
    assert result.status is RunStatus.FAILED
    assert result.exit_code == 1
    assert "PermissionError" in result.stderr_tail


def test_a_workdir_missing_from_the_filesystem_is_made_by_the_engine(
    run: Callable[[str], RunResult], image: Image
) -> None:
    result = run(image(f"WORKDIR /made\nRUN rmdir /made\nCMD {PRINT_CWD_AND_UID}\n"))
    assert result.status is RunStatus.SUCCEEDED, result.message
    assert result.stdout_tail == "65534 []\n"


@pytest.mark.parametrize(
    "user", ["RUN useradd --create-home bob\nUSER bob\n", "USER ghost\n", "USER 0:0\n"],
    ids=["named-user", "missing-user", "root"],
)  # fmt: skip
def test_the_image_user_is_replaced_by_nobody(
    run: Callable[[str], RunResult], image: Image, user: str
) -> None:
    result = run(image(f"{user}WORKDIR /app\nCMD {PRINT_CWD_AND_UID}\n"))
    assert result.status is RunStatus.SUCCEEDED, result.message
    assert result.stdout_tail.startswith("65534 [")


def test_an_image_healthcheck_is_disabled(
    run: Callable[[str], RunResult], image: Image, runner: ObservedRunner
) -> None:
    check = "HEALTHCHECK --interval=1s --start-period=1s CMD /nope\n"
    result = run(image(check + 'CMD ["python", "-c", "import time; time.sleep(3)"]\n'))
    assert result.status is RunStatus.SUCCEEDED, result.message
    assert result.run_id is not None
    seen = runner.inspected[result.run_id]
    assert seen["Config"]["Healthcheck"]["Test"] == ["NONE"]
    assert "Health" not in seen["State"]


def test_a_platform_fault_stays_an_exception(
    runner: ObservedRunner, image: Image, tmp_path: Path
) -> None:
    """The worker's own missing /input folder is not the participant's fault: retried."""
    with pytest.raises(SandboxError, match="bind source path does not exist") as info:
        runner.run(image('CMD ["true"]\n'), tmp_path / "missing", tmp_path / "out", FAST)
    assert not isinstance(info.value, ImageError)
    assert list(runner.staging_root.iterdir()) == []


def test_an_unreachable_engine_is_engine_unavailable(tmp_path: Path) -> None:
    client = docker.DockerClient(base_url=f"unix://{tmp_path}/no.sock", version="1.41")
    gone = SandboxRunner(client, cgroup_driver="cgroupfs", cgroup_version="1", runtime="runc")
    with pytest.raises(EngineUnavailable, match="the Docker engine is not reachable"):
        gone.run("sha256:" + "0" * 64, tmp_path, tmp_path / "out", FAST)
