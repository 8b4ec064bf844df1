"""The engine's words for image faults, as Docker 20.10 answered under runc and runsc.

Each text below was read off the real engine (see sandbox/image_faults.py); the real-engine
cases are in test_image_faults.py. What is not the image's fault must stay unclassified, so the
runner raises it as the platform's (retried, never charged).
"""

from __future__ import annotations

import pytest

from sandbox.image_faults import config_problem, exec_failure, masked_volumes, refusal_problem

OCI_RUNC = "failed to create shim task: OCI runtime create failed: runc create failed: "
OCI_RUNSC = "OCI runtime start failed: starting container: starting root container: "

IMAGE_FAULTS = {
    OCI_RUNC + 'unable to start container process: exec: "/nope": stat /nope: no such file or '
    "directory: unknown": "/nope, could not be found",
    OCI_RUNC + 'unable to start container process: exec: "nope": executable file not found in '
    "$PATH: unknown": "nope, is not on the image's PATH",
    OCI_RUNC + 'unable to start container process: exec: "/app/x.sh": permission denied: '
    "unknown": "/app/x.sh, cannot be executed",
    OCI_RUNC + "Cwd must be an absolute path: unknown": "WORKDIR ? cannot be used",
    OCI_RUNC + "unable to start container process: error during container init: environment "
    'variable name can\'t be empty: "=bad": unknown': "ENV holds an entry",
    OCI_RUNC + "unable to start container process: error during container init: error mounting "
    '"/tmp/empty" to rootfs at "/proc": "/var/lib/docker/overlay2/x/merged/proc" cannot be '
    "mounted because it is not of type proc: unknown": "VOLUME /proc",
    OCI_RUNSC + "starting sandbox: creating process: failed to load /nope: no such file or "
    "directory: unknown": "/nope, could not be found",
    OCI_RUNSC + 'starting sandbox: error finding executable "nope" in PATH [/usr/bin /bin]: no '
    "such file or directory: unknown": "nope, is not on the image's PATH",
    OCI_RUNSC + "starting sandbox: creating process: failed to load /app: permission denied: "
    "unknown": "/app, cannot be executed",
    OCI_RUNSC + "starting sandbox: creating process: failed to load /app/bad.bin: exec format "
    "error: unknown": "/app/bad.bin, is not a program this machine can run",
    OCI_RUNSC + 'starting sandbox: creating process: failed to find initial working directory "'
    '/proc/1/root": no such file or directory: unknown': "WORKDIR /proc/1/root cannot be used",
    "Cannot mkdir: /etc/passwd is not a directory": "WORKDIR /etc/passwd cannot be used",
}

PLATFORM_FAULTS = [
    'invalid mount config for type "bind": bind source path does not exist: /srv/inputs',
    OCI_RUNC + "unable to start container process: error during container init: error mounting "
    '"/srv/out" to rootfs at "/output": no such file or directory: unknown',
    "failed to create shim task: OCI runtime create failed: creating container: cannot create "
    "sandbox: cannot read client sync file: waiting for sandbox to start: EOF: unknown",
    "mkdir /var/lib/docker/overlay2/abc: no space left on device",
    "unknown or invalid runtime name: runsc",
    "Conflict. The container name is already in use",
]


@pytest.mark.parametrize("explanation", sorted(IMAGE_FAULTS))
def test_image_faults_are_recognised_in_the_engines_words(explanation: str) -> None:
    problem = refusal_problem(explanation)
    assert problem is not None and IMAGE_FAULTS[explanation] in problem
    assert "OCI" not in problem and "unknown" not in problem  # plain words, not the engine's


@pytest.mark.parametrize("explanation", PLATFORM_FAULTS)
def test_engine_and_host_faults_stay_unclassified(explanation: str) -> None:
    assert refusal_problem(explanation) is None


def test_runc_exec_failures_after_start_are_recognised() -> None:
    assert "exec format error" in str(exec_failure(1, 0, "exec /app/bad.bin: exec format error\n"))
    assert "could not be found" in str(
        exec_failure(1, 0, "exec /app/x: no such file or directory\n")
    )
    assert exec_failure(1, 10, "exec /app/x: exec format error\n") is None  # the program ran
    assert exec_failure(2, 0, "exec /app/x: exec format error\n") is None
    assert exec_failure(1, 0, "Traceback ...\nexec /x: exec format error\n") is None


def test_config_problems_are_found_before_anything_is_created() -> None:
    ok = {"Cmd": ["python"], "WorkingDir": "/app", "Env": ["A=1"], "Volumes": {"/data": {}}}
    assert config_problem("img", ok, own_command=False) is None
    assert "no ENTRYPOINT or CMD" in str(config_problem("img", {}, own_command=False))
    assert config_problem("img", {}, own_command=True) is None
    assert "WORKDIR rel" in str(
        config_problem("img", {**ok, "WorkingDir": "rel"}, own_command=False)
    )
    bad_env = {**ok, "Env": ["=x"]}
    assert "ENV holds an entry" in str(config_problem("img", bad_env, own_command=False))
    for volume in ("/proc/x", "/sys", "/dev/shm", "/etc/resolv.conf", "/input/a", "x", "/"):
        problem = config_problem("img", {**ok, "Volumes": {volume: {}}}, own_command=False)
        assert problem is not None and problem.startswith(f"your image declares VOLUME {volume},")


def test_names_from_the_image_are_escaped_and_bounded() -> None:
    problem = refusal_problem('exec: "/x\x1b[2J' + "y" * 500 + '": permission denied')
    assert problem is not None and "\x1b" not in problem and "\\x1b" in problem
    assert "y" * 200 not in problem  # each name is cut to 200 characters


def test_image_volumes_are_normalised_and_own_mounts_left_out() -> None:
    config = {"Volumes": {"/scratch/": {}, "/tmp": {}, "/output": {}, "/a/../data": {}}}
    assert masked_volumes(config) == ["/data", "/scratch"]
