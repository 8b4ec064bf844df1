"""Bytes sent and wall time of an image submission: a `docker save` archive against a push.

A registry runs in a temporary platform home behind a byte-counting TCP proxy on loopback; the
runtime image is seeded through the proxy first (not counted), as `podium up` does. Then, for
the image (default: the digits-vision baseline built from its context, on runtime-torch):

- archive: the bytes and the time of its `docker save` stream (what `podium submit --image
  --archive` uploads; the upload itself only adds time);
- push: the bytes that crossed the proxy towards the registry and the wall time of the push
  with a participant-scoped token, against the bytes of the layers the registry lacked;
- a second push after a one-line change to the model's code.

- submit-to-finished through the real API, registry and worker (the digits-vision challenge):
  a pushed image, which the worker pulls by its digest, against the same image submitted again
  by the same team, which the worker finds already loaded; ``--rounds`` pairs, medians. The
  worker shares this machine's engine, so the pull transfers the manifest and config and finds
  the layers present (a worker on another host would fetch the missing model layers too).

Targets: bytes sent <= 1.05 x missing-layer bytes + 1 MB; first push <= 3 s on loopback;
submit-to-finished of the pushed image within 1 s of the already-loaded one.

    .venv/bin/python benchmarks/image_intake.py [--image TAG] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import docker
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from challenges.examples import build_example  # noqa: E402
from podium.db.models import TERMINAL_STATUSES, SubmissionStatus  # noqa: E402
from podium.registry.client import RegistryClient  # noqa: E402
from podium.registry.config import signer_for  # noqa: E402
from podium.registry.engine import push  # noqa: E402
from tests.registry.live import Live, live_platform  # noqa: E402

BASELINE = Path("challenges/examples/digits-vision/baseline")
RUNTIME = "podium/runtime-torch:3.11"
MB = 1024 * 1024


class CountingProxy(threading.Thread):
    """Forwards 127.0.0.1:port to ``target``, counting the bytes sent towards it."""

    def __init__(self, target: int) -> None:
        super().__init__(daemon=True)
        self.target, self.sent, self._lock = target, 0, threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]

    def run(self) -> None:
        while True:
            client, _ = self.server.accept()
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, count: bool) -> None:
        try:
            while data := source.recv(1 << 16):
                if count:
                    with self._lock:
                        self.sent += len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def take(self) -> int:
        with self._lock:
            sent, self.sent = self.sent, 0
        return sent


def _build(client: docker.DockerClient, context: Path, tag: str) -> str:
    image, _ = client.images.build(path=str(context), tag=tag, rm=True, network_mode="none")
    return str(image.id)


def _archive(client: docker.DockerClient, tag: str) -> tuple[int, float]:
    started, size = time.perf_counter(), 0
    for chunk in client.images.get(tag).save(chunk_size=1 << 20):
        size += len(chunk)
    return size, time.perf_counter() - started


def _push(client: docker.DockerClient, registry: RegistryClient, proxy: CountingProxy,
          tag: str, repository: str) -> dict[str, Any]:  # fmt: skip
    before = {d for m in registry.manifests(repository) for d, _ in m.layers}
    before |= {d for d, _ in (registry.manifest(*RUNTIME.rsplit(":", 1)) or _no()).layers}
    token = registry.token([
        {"type": "repository", "name": repository, "actions": ["pull", "push"]},
        {"type": "repository", "name": RUNTIME.rsplit(":", 1)[0], "actions": ["pull"]},
    ])  # fmt: skip
    proxy.take()
    started = time.perf_counter()
    pushed = push(client, tag, host=f"127.0.0.1:{proxy.port}", repository=repository,
                  tag=tag.rsplit(":", 1)[-1], token=token)  # fmt: skip
    seconds = time.perf_counter() - started
    sent = proxy.take()
    manifest = registry.manifest(repository, pushed.digest) or _no()
    missing = sum(size for digest, size in manifest.layers if digest not in before)
    within = sent <= 1.05 * missing + MB
    return {"sent_bytes": sent, "missing_bytes": missing, "seconds": round(seconds, 3),
            "within_bytes_target": within, "digest": pushed.digest}  # fmt: skip


def _no() -> Any:
    raise SystemExit("the registry lost a manifest it had just stored")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="submit-to-finished pairs")
    args = parser.parse_args()
    client = docker.from_env(timeout=900)
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        bundle = build_example("digits-vision", Path(tmp) / "bundles")
        with live_platform(Path(tmp) / "home", [bundle], worker=True) as live:
            settings = live.platform.settings
            proxy = CountingProxy(settings.registry_port)
            proxy.start()
            registry = RegistryClient(settings.registry_url, signer_for(settings))
            rows = _measure(client, registry, proxy, Path(tmp), live, args.rounds)
    print(json.dumps(rows, indent=2) if args.json else _table(rows))


def _measure(client: docker.DockerClient, registry: RegistryClient, proxy: CountingProxy,
             tmp: Path, live: Live, rounds: int) -> dict[str, Any]:  # fmt: skip
    repository, tags = (
        "teams/digits-vision/999999",  # no team: the participants' are measured below
        ("podium-bench/digits:first", "podium-bench/digits:second"),
    )
    seed_token = registry.token(
        [{"type": "repository", "name": "podium/runtime-torch", "actions": ["pull", "push"]}]
    )
    push(
        client,
        RUNTIME,
        host=f"127.0.0.1:{proxy.port}",
        repository="podium/runtime-torch",
        tag="3.11",
        token=seed_token,
    )
    if not (BASELINE / "train").is_dir():  # the training images the baseline's build reads
        subprocess.run(["python", str(BASELINE.parent / "build_data.py")], check=True)
    context = tmp / "context"
    shutil.copytree(BASELINE, context)
    _build(client, context, tags[0])
    archive_bytes, archive_seconds = _archive(client, tags[0])
    first = _push(client, registry, proxy, tags[0], repository)
    with (context / "predict.py").open("a") as handle:
        handle.write("# one-line change\n")
    _build(client, context, tags[1])
    second = _push(client, registry, proxy, tags[1], repository)
    try:
        finish = [_finish_pair(client, live, tags[0]) for _ in range(rounds)]
    finally:
        for tag in tags:
            client.images.remove(tag, force=True)
    archive = {"bytes": archive_bytes, "seconds": round(archive_seconds, 3)}
    return {"archive": archive, "first_push": first, "second_push": second,
            "finish": _finish_summary(finish)}  # fmt: skip


def _finish_pair(client: docker.DockerClient, live: Live, tag: str) -> dict[str, float]:
    """Submit-to-finished of a pushed image (the worker pulls it by digest from the registry),
    then of the same image again for the same team (the worker finds it loaded: no pull)."""
    _, secret = live.participant()
    where = live.repository(secret, "digits-vision")
    pushed = push(client, tag, host=where["registry"], repository=where["repository"],
                  tag="bench", token=where["token"])  # fmt: skip
    pulled, pulled_prepare = _submit_and_finish(live, secret, pushed.digest)
    loaded, loaded_prepare = _submit_and_finish(live, secret, pushed.digest)
    return {"pushed_seconds": pulled, "loaded_seconds": loaded,
            "pushed_preparing_seconds": pulled_prepare,
            "loaded_preparing_seconds": loaded_prepare}  # fmt: skip


def _submit_and_finish(live: Live, secret: str, digest: str) -> tuple[float, float]:
    """Seconds from the API call to ``finished``, and of the ``preparing`` stage alone."""
    started = time.perf_counter()
    answer = httpx.post(
        f"{live.api}/api/v1/challenges/digits-vision/submissions/pushed",
        json={"digest": digest}, headers={"Authorization": f"Bearer {secret}"}, timeout=60,
    )  # fmt: skip
    if answer.status_code != 201:
        raise SystemExit(f"the submission was refused: {answer.status_code} {answer.text}")
    submission_id = int(answer.json()["id"])
    while True:
        status = live.platform.get(submission_id).status
        if status in TERMINAL_STATUSES:
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if status is not SubmissionStatus.FINISHED:
        raise SystemExit(f"submission {submission_id} ended {status}, not finished")
    at = {event.status: event.at for event in live.platform.events(submission_id)}
    preparing = at[SubmissionStatus.RUNNING] - at[SubmissionStatus.PREPARING]
    return round(seconds, 3), round(preparing.total_seconds(), 3)


def _finish_summary(pairs: list[dict[str, float]]) -> dict[str, Any]:
    median = {key: statistics.median(p[key] for p in pairs) for key in pairs[0]}
    return {
        "pairs": pairs,
        **{f"{key}_median": value for key, value in median.items()},
        "within_1s_target": median["pushed_seconds"] - median["loaded_seconds"] <= 1.0,
    }


def _table(rows: dict[str, Any]) -> str:
    a, f, s, n = rows["archive"], rows["first_push"], rows["second_push"], rows["finish"]
    return "\n".join([
        f"{'path':<24}{'bytes sent':>16}{'missing layers':>16}{'seconds':>10}",
        f"{'docker save archive':<24}{a['bytes']:>16,}{'':>16}{a['seconds']:>10}",
        f"{'push':<24}{f['sent_bytes']:>16,}{f['missing_bytes']:>16,}{f['seconds']:>10}",
        f"{'push, 1-line change':<24}{s['sent_bytes']:>16,}{s['missing_bytes']:>16,}"
        f"{s['seconds']:>10}",
        f"targets: bytes <= 1.05 x missing + 1 MB: "
        f"{f['within_bytes_target'] and s['within_bytes_target']}; "
        f"first push <= 3 s: {f['seconds'] <= 3}",
        f"submit-to-finished, median of {len(n['pairs'])}: pushed (pulled by digest) "
        f"{n['pushed_seconds_median']} s (preparing {n['pushed_preparing_seconds_median']} s), "
        f"already loaded {n['loaded_seconds_median']} s (preparing "
        f"{n['loaded_preparing_seconds_median']} s); within 1 s: {n['within_1s_target']}",
    ])  # fmt: skip


if __name__ == "__main__":
    main()
