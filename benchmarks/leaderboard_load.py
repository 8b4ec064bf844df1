"""Leaderboard latency under load, frozen and live: 100,000 scored submissions, 5,000 teams.

Run: ``.venv/bin/python benchmarks/leaderboard_load.py [--teams N] [--per-team N] [--rate R]
[--seconds S] [--rounds N] [--no-live] [--http auto|h11|httptools] [--loop auto|asyncio|uvloop]
[--json]`` (``--teams 500 --per-team 20 --seconds 10`` for a quick run).

1. Builds a migrated SQLite database in a temporary folder and bulk-inserts (SQLAlchemy core)
   one challenge, its teams, and per submission one evaluation (wall/CPU/memory) and four
   scores (rmse with a bootstrap interval and mae, public and private).
2. Starts the real API with uvicorn in a subprocess on 127.0.0.1 (a free port; one worker, as
   for both targets alike; by default uvicorn's ``auto`` choices, i.e. httptools and uvloop,
   which ``uvicorn[standard]`` installs, else h11 and asyncio) and warms the leaderboard once
   (the first request ranks everything; later ones hit the cache).
3. Runs an open-loop load generator in a second process (httpx + asyncio, one request every
   1/R s whatever the answers do, latency counted from the scheduled send time so a slow
   server cannot hide its queue) against ``GET /healthz`` (the trivial endpoint) and the
   leaderboard, each for S seconds, bounded in count and time: the *frozen* figures (nothing
   writes).
4. Live (issue 13): the same load again while a writer process moves submissions through the
   platform's own pipeline functions on the same database (1 new score and 5 status changes
   per second, see ``leaderboard_live.py``) and a probe reads the top of the board every
   50 ms: p50/p99 per target, and how long each new score took to be visible (max, p99).
5. The cost of one rebuild (the board of the public split ranked in this process, median of
   three), and of the rebuild before issue 13 (every submission to the ranking library).

Targets: leaderboard p99 <= 25 ms at 200 requests/s and its p50 at most 3x the trivial
endpoint's p50 (issue 6), also while live, with a new score visible within 2 s (issue 13).
Loopback only; nothing is left behind.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import leaderboard_live as live
from leaderboard_report import report

SLUG = "bench"
EXAMPLE = Path(__file__).parents[1] / "challenges/examples/radio-path-loss/challenge.yaml"
TARGETS = {
    "trivial": "/healthz",
    "leaderboard": f"/api/v1/challenges/{SLUG}/leaderboard",
}
WARM_UP_SECONDS = 6.0  # the writer's first score comes after 4 s (its pipeline fills up)


def build_database(url: str, teams: int, per_team: int, seeded: int) -> float:
    """Migrate ``url`` and fill it (and ``seeded`` waiting submissions per writer stream);
    returns the seconds the inserts took."""
    from sqlalchemy import insert

    from podium.db.engine import create_db_engine
    from podium.db.migrate import upgrade
    from podium.db.models import Challenge, Evaluation, Phase, Score, Submission, Team

    upgrade(url)
    engine = create_db_engine(url)
    start = time.perf_counter()
    now = datetime.now(UTC)
    with engine.begin() as db:
        db.execute(insert(Challenge), [_challenge_row(now)])
        db.execute(insert(Phase), [_phase_row(now)])
        db.execute(
            insert(Team),
            [
                {"id": t, "name": f"team-{t:05d}", "challenge_id": 1, "created_at": now}
                for t in range(1, teams + 1)
            ],
        )
        rng = random.Random(6)
        submissions, evaluations, scores = _rows(rng, now, teams, per_team)
        db.execute(insert(Submission), submissions)
        if seeded:
            db.execute(insert(Submission), live.seed_rows(now, teams, len(submissions) + 1, seeded))
        db.execute(insert(Evaluation), evaluations)
        db.execute(insert(Score), scores)
    engine.dispose()
    return time.perf_counter() - start


def _spec() -> dict[str, Any]:
    """A full stored spec: the radio example's (rmse primary, mae secondary), as ``bench``."""
    import yaml

    from challenges.schema import SKIP_CROSS_CHECKS, ChallengeSpec

    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["slug"] = SLUG
    raw["metrics"]["decimals"] = 4
    spec = ChallengeSpec.model_validate(raw, context={SKIP_CROSS_CHECKS: True})
    return spec.model_dump(mode="json")


def _challenge_row(now: datetime) -> dict[str, Any]:
    spec = _spec()
    return {
        "id": 1,
        "slug": SLUG,
        "title": "Benchmark",
        "summary": "Load test.",
        "bundle_path": "/nonexistent",
        "bundle_sha256": "0" * 64,
        "split_secret": "s",
        "spec": spec,
        "tags": [],
        "public_files": [],
        "created_at": now,
        "updated_at": now,
    }


def _phase_row(now: datetime) -> dict[str, Any]:
    return {
        "id": 1,
        "challenge_id": 1,
        "name": "development",
        "start": now - timedelta(days=30),
        "end": now + timedelta(days=30),
        "public_fraction": 0.5,
        "data_key": "test",
        "submission_kinds": ["image"],
        "submission_limits": {},
        "limits": {},
        "leaderboard": {"visibility": "public", "rule": "best", "max_selected": None},
    }


def _rows(
    rng: random.Random, now: datetime, teams: int, per_team: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    submissions, evaluations, scores = [], [], []
    start = now - timedelta(days=29)
    for sid in range(1, teams * per_team + 1):
        at = start + timedelta(seconds=sid * 20)
        submissions.append(_submission_row(sid, (sid - 1) % teams + 1, at))
        evaluations.append(
            {"id": sid, "submission_id": sid, "attempt": 1, "wall_seconds": rng.uniform(5, 60),
             "cpu_seconds": rng.uniform(5, 60), "peak_memory_mb": rng.uniform(50, 900),
             "report": {}}
        )  # fmt: skip
        for split in ("public", "private"):
            scores += _score_rows(sid, split, rng.uniform(0.2, 1.0), rng.uniform(0.005, 0.03))
    return submissions, evaluations, scores


def _submission_row(sid: int, team: int, at: datetime) -> dict[str, Any]:
    return {
        "id": sid, "challenge_id": 1, "phase_id": 1, "team_id": team, "kind": "image",
        "status": "finished", "created_at": at, "updated_at": at, "description": "",
        "filename": "", "file_path": "", "file_sha256": "", "size_bytes": 0, "charged": True,
        "baseline": False, "selected": False, "disqualified": False,
    }  # fmt: skip


def _score_rows(sid: int, split: str, rmse: float, half: float) -> list[dict[str, Any]]:
    common: dict[str, Any] = {"evaluation_id": sid, "submission_id": sid, "split": split}
    return [
        {**common, "metric": "rmse", "value": rmse, "ci_low": rmse - half, "ci_high": rmse + half},
        {**common, "metric": "mae", "value": rmse * 0.8, "ci_low": None, "ci_high": None},
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_kind(http: str, loop: str) -> str:
    """What uvicorn runs with for these options (``auto``: the fast ones when installed)."""
    if http == "auto":
        http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    if loop == "auto":
        loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"uvicorn {http}/{loop}, 1 worker"


def start_server(home: Path, port: int, http: str, loop: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PODIUM_HOME": str(home), "PODIUM_MIGRATE_ON_START": "false"}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "podium.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--http",
        http,
        "--loop",
        loop,
    ]
    return subprocess.Popen(command, env=env)


def wait_ready(base: str, timeout: float = 60.0) -> float:
    """Wait for the server, then warm the leaderboard; returns the cold request's seconds."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(base + TARGETS["trivial"], timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the API did not start within 60 s")
        time.sleep(0.2)
    start = time.perf_counter()
    answer = httpx.get(base + TARGETS["leaderboard"], timeout=120)
    answer.raise_for_status()
    return time.perf_counter() - start


async def _fetch(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> bool:
    """One GET on a kept-alive HTTP/1.1 connection; True on a 200 with its whole body read."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return head.startswith(b"HTTP/1.1 200")


async def _load(url: str, rate: float, seconds: float, connections: int = 32) -> dict[str, Any]:
    """Open loop: request i is due at ``start + i / rate``; latency counts from when it was due.

    A bare asyncio HTTP/1.1 client (keep-alive, no parsing beyond Content-Length), so that the
    generator costs far less than the server it measures; httpx's async client could not keep
    200 requests/s on a busy two-core machine.
    """
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    request = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
    count = int(rate * seconds)
    due = iter(range(count))
    latencies: list[float] = []
    errors = 0
    begin = time.perf_counter() + 0.5

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        for i in due:
            scheduled = begin + i / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            try:
                ok = await _fetch(reader, writer, request)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                ok = False
                writer.close()
                reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            if ok:
                latencies.append(time.perf_counter() - scheduled)
            else:
                errors += 1
        writer.close()

    await asyncio.wait_for(
        asyncio.gather(*(worker() for _ in range(connections))), timeout=seconds + 60
    )
    return {"requests": count, "errors": errors, "latencies": latencies}


def _percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    if not ordered:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50_ms": pick(0.50), "p99_ms": pick(0.99), "max_ms": ordered[-1] * 1000}


def run_load(base: str, rate: float, seconds: float, rounds: int) -> dict[str, Any]:
    """Run the load generator in its own process: the targets take turns, ``rounds`` slices
    each, so that both meet the same machine (a busy shared machine changes by the minute)."""
    latencies: dict[str, list[float]] = {name: [] for name in TARGETS}
    totals = {name: {"requests": 0, "errors": 0} for name in TARGETS}
    for _ in range(rounds):
        for name, path in TARGETS.items():
            command = [
                sys.executable,
                __file__,
                "--load",
                base + path,
                "--rate",
                str(rate),
                "--seconds",
                str(seconds / rounds),
            ]
            done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 90)
            if done.returncode != 0:
                raise SystemExit(f"load generator failed on {name}: {done.stderr[-2000:]}")
            result = json.loads(done.stdout)
            latencies[name] += result["latencies"]
            totals[name]["requests"] += result["requests"]
            totals[name]["errors"] += result["errors"]
    return {name: {**totals[name], **_percentiles(latencies[name])} for name in TARGETS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=5000)
    parser.add_argument("--per-team", type=int, default=20)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0, help="per target, in all")
    parser.add_argument("--rounds", type=int, default=6, help="turns the targets take")
    parser.add_argument("--no-live", action="store_true", help="the frozen figures only")
    parser.add_argument("--http", choices=("auto", "h11", "httptools"), default="auto")
    parser.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        print(json.dumps(asyncio.run(_load(args.load, args.rate, args.seconds))))
        return
    # seeded submissions per writer stream: enough for the load, its warm-up and its starts
    live_seconds = 0 if args.no_live else int(3 * args.seconds + WARM_UP_SECONDS + 60)
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home}/podium.db"
        inserts = build_database(url, args.teams, args.per_team, live_seconds)
        costs = live.rebuild_costs(home)
        port = free_port()
        server = start_server(home, port, args.http, args.loop)
        try:
            base = f"http://127.0.0.1:{port}"
            cold = wait_ready(base)
            started, cpu = time.monotonic(), live.cpu_seconds(server.pid)
            children = live.children_cpu_seconds(server.pid)
            frozen = run_load(base, args.rate, args.seconds, args.rounds)
            frozen["server_cpu_per_second"] = live.cpu_rate(server.pid, cpu, started)
            frozen["children_cpu_per_second"] = live.children_cpu_rate(
                server.pid, children, started
            )
            moving = None
            if not args.no_live:
                load = lambda: run_load(base, args.rate, args.seconds, args.rounds)  # noqa: E731
                first = args.teams * args.per_team + 1
                moving = live.run_live(load, home, base + TARGETS["leaderboard"], first, server.pid,
                                       live_seconds, WARM_UP_SECONDS)  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=30)
    report(args, tuple(TARGETS), server_kind(args.http, args.loop), inserts, cold, costs,
           frozen, moving)  # fmt: skip


if __name__ == "__main__":
    main()
