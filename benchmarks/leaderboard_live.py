"""The live half of ``benchmarks/leaderboard_load.py``: a writer, a probe, visibility delays.

The writer is a separate process writing to the same database through the platform's own
pipeline functions, as a worker would, on submissions seeded for it (``submitted`` ones for
stream A, ``queued`` ones for stream B). Each second, six events, evenly spaced:

- A[k] ``queued`` (``crud.submissions.record_status``, what ``pipeline.dispatch.enqueue`` writes);
- A[k-1] ``preparing`` (``pipeline.attempts.start_attempt``: a new evaluation);
- A[k-2] ``running`` and A[k-3] ``scoring`` (``pipeline.attempts.advance``);
- B[k] ``failed`` with a reason and no score (``record_status``, as ``end_attempt`` does);
- A[k-4] ``finished`` with its scores (``pipeline.stages.save_scores``): 1 new score per second.

That is 5 status changes per second that change no board, and 1 new score per second. Every new
score is the best so far (rmse 0.1 - 0.001 j, well below the seeded 0.2 to 1.0), so it shows at
the top of the board; the writer stamps when each one was committed. The probe reads the top of
the board every 50 ms: a score is visible once a board whose top entry is that submission or a
newer one is answered (a newer one is there only on a board built after it).

Run by leaderboard_load.py: ``--writer HOME --first ID --count N --seconds S --out FILE`` and
``--probe URL --seconds S --out FILE``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROBE_SECONDS = 0.05
SETTLE_SECONDS = 5.0  # after the load, before writer and probe stop
EVENTS = 6  # per second: see the module docstring


def seed_rows(now: datetime, teams: int, first_id: int, count: int) -> list[dict[str, Any]]:
    """``count`` submissions for stream A (submitted) and as many for B (queued)."""
    rows = []
    for n in range(2 * count):
        sid = first_id + n
        rows.append({
            "id": sid, "challenge_id": 1, "phase_id": 1, "team_id": n % teams + 1,
            "kind": "image", "status": "submitted" if n < count else "queued",
            "created_at": now - timedelta(minutes=1), "updated_at": now, "description": "",
            "filename": "", "file_path": "", "file_sha256": "", "size_bytes": 0,
            "charged": True, "baseline": False, "selected": False, "disqualified": False,
        })  # fmt: skip
    return rows


def _report(j: int) -> Any:
    from evaluators import ScoreReport
    from evaluators.evaluate import MetricScore

    value = 0.1 - 0.001 * j

    def scores() -> dict[str, MetricScore]:
        rmse = MetricScore(value=value, ci_low=value - 0.01, ci_high=value + 0.01, n_rows=100,
                           greater_is_better=False)  # fmt: skip
        mae = MetricScore(value=value * 0.8, ci_low=None, ci_high=None, n_rows=100,
                          greater_is_better=False)  # fmt: skip
        return {"rmse": rmse, "mae": mae}

    return ScoreReport(
        primary="rmse", splits={"public": scores(), "private": scores()}, resamples=0, methods={}
    )


def write(home: Path, a: list[int], b: list[int], seconds: int, out: Path) -> None:
    """The writer process (see the module docstring); one JSON line per committed score."""
    from sqlmodel import Session

    from podium.crud.submissions import record_status
    from podium.db.engine import create_db_engine
    from podium.db.models import Submission, SubmissionStatus
    from podium.pipeline.attempts import advance, start_attempt
    from podium.pipeline.context import Attempt, PipelineContext
    from podium.pipeline.stages import save_scores
    from podium.settings import Settings

    settings = Settings(home=home, migrate_on_start=False)
    engine = create_db_engine(settings.database_url)
    ctx = PipelineContext(
        lambda: Session(engine, expire_on_commit=False), settings,
        None, None, None, "bench-writer",  # type: ignore[arg-type]  # no Docker, no MLflow
    )  # fmt: skip
    attempts: dict[int, Attempt] = {}

    def status(sid: int, to: SubmissionStatus, reason: str | None = None) -> None:
        with ctx.session_factory() as session:
            row = session.get(Submission, sid)
            assert row is not None
            record_status(session, row, to, "bench writer", reason=reason)
            session.commit()

    def event(k: int, i: int) -> dict[str, Any] | None:
        j = k - (i if i < 4 else 4)
        if i == 4:
            status(b[k], SubmissionStatus.FAILED, "the model exited with code 1")
        elif j < 0:
            return None
        elif i == 0:
            status(a[j], SubmissionStatus.QUEUED)
        elif i == 1:
            started = start_attempt(ctx, a[j], None)
            assert started is not None
            attempts[j] = started
        elif i in (2, 3):
            advance(
                ctx, attempts[j], SubmissionStatus.RUNNING if i == 2 else SubmissionStatus.SCORING
            )
        else:
            save_scores(ctx, attempts.pop(j), _report(j))
            return {"sid": a[j], "committed": time.time(), "late": round(late, 3)}
        return None

    print("ready", flush=True)  # imports done: the driver's warm-up starts now
    begin = time.time() + 0.2
    late = 0.0
    with out.open("w", encoding="utf-8") as lines:
        for k in range(seconds):  # until the driver stops it, or the seeded rows run out
            for i in range(EVENTS):
                due = begin + k + i / EVENTS
                time.sleep(max(0.0, due - time.time()))
                late = max(late, time.time() - due)
                stamp = event(k, i)
                if stamp is not None:
                    lines.write(json.dumps(stamp) + "\n")
                    lines.flush()


def probe(url: str, seconds: float, out: Path) -> None:
    """Read the top of the board every 50 ms; one JSON line ``[time, top submission id]`` per
    answer (until the driver stops it)."""
    parts = urlsplit(url)
    target = f"{parts.path}?limit=1"
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    lines = out.open("w", encoding="utf-8")
    end = time.time() + seconds
    while time.time() < end:
        asked = time.time()
        try:
            connection.request("GET", target)
            answer = connection.getresponse()
            body = answer.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
            continue
        if answer.status == 200:
            entries = json.loads(body)["entries"]
            if entries:
                lines.write(json.dumps([time.time(), int(entries[0]["submission_id"])]) + "\n")
                lines.flush()
        time.sleep(max(0.0, asked + PROBE_SECONDS - time.time()))


def visibility(commits: list[dict[str, Any]], seen: list[tuple[float, int]]) -> dict[str, Any]:
    """Per committed score, seconds until the probe first saw it (or a newer one) on top."""
    delays: list[float] = []
    unseen = 0
    for commit in commits:
        times = [t for t, top in seen if top >= commit["sid"] and t >= commit["committed"]]
        if times:
            delays.append(min(times) - commit["committed"])
        else:
            unseen += 1
    ordered = sorted(delays)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    return {
        "scores": len(commits),
        "unseen": unseen,
        "p50_s": round(pick(0.5), 3),
        "p99_s": round(pick(0.99), 3),
        "max_s": round(ordered[-1], 3) if ordered else float("nan"),
    }


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) process ``pid`` has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_rate(pid: int, since_cpu: float, since: float) -> float:
    """CPU seconds per second of process ``pid`` since ``(since_cpu, since)`` (monotonic)."""
    return round((cpu_seconds(pid) - since_cpu) / (time.monotonic() - since), 3)


def children_cpu_seconds(pid: int) -> float:
    """CPU seconds the live children of ``pid`` have used so far (the API's ranking child)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def children_cpu_rate(pid: int, since_cpu: float, since: float) -> float:
    """CPU seconds per second of the children of ``pid`` since ``(since_cpu, since)``."""
    return round((children_cpu_seconds(pid) - since_cpu) / (time.monotonic() - since), 3)


def rebuild_costs(home: Path) -> dict[str, float]:
    """One rebuild of the public board as the API's cache makes it (with the store, so the
    paired tests' saved runs are looked up): read whole, and brought up to date after one
    submission changed (median of 3 each); and ranking every submission, as before issue 13."""
    from sqlalchemy import update
    from sqlmodel import Session

    from leaderboard import rank
    from podium.crud.leaderboards import load_entries
    from podium.db.engine import create_db_engine
    from podium.db.models import Challenge, Phase, Submission
    from podium.db.types import utcnow
    from podium.services import boards, ranking
    from podium.settings import Settings
    from podium.store import Store

    store = Store.from_settings(Settings(home=home, migrate_on_start=False))
    engine = create_db_engine(f"sqlite:///{home}/podium.db")
    whole, updated, cpu = [], [], []
    for n in range(3):
        start = time.perf_counter()
        board = boards.build_ranked(engine, (1, 1, "public"), (n,), store)
        whole.append(time.perf_counter() - start)
        with engine.begin() as db:  # a status change's stamp on one submission
            db.execute(update(Submission).where(Submission.id == n + 1).values(updated_at=utcnow()))
        start, started_cpu = time.perf_counter(), time.process_time()
        boards.build_ranked(engine, (1, 1, "public"), (n, 1), store, board)
        updated.append(time.perf_counter() - start)
        cpu.append(time.process_time() - started_cpu)
    with Session(engine) as session:
        challenge, phase = session.get(Challenge, 1), session.get(Phase, 1)
        assert challenge is not None and phase is not None
        config = ranking.board_config(challenge, phase)
        start = time.perf_counter()
        metrics = (config.primary, *config.secondary)
        entries = load_entries(session, phase=phase, metrics=metrics, splits=("public",))
        rank(
            entries, primary=config.primary, split="public",
            greater_is_better=config.greater_is_better, secondary=config.secondary,
            rule=config.rule, phase_end=phase.end, decimals=config.decimals,
            significance=ranking.interval_p_value("public", config.primary),
        )  # fmt: skip
        every = time.perf_counter() - start
    engine.dispose()
    return {
        "rebuild_s": round(sorted(whole)[1], 3),
        "rebuild_update_s": round(sorted(updated)[1], 3),
        "rebuild_update_cpu_s": round(sorted(cpu)[1], 3),
        "rebuild_every_entry_s": round(every, 3),
    }


def run_live(
    load: Callable[[], dict[str, Any]],
    home: Path,
    board: str,
    first: int,
    server: int,
    seconds: int,
    warm_up: float,
) -> dict[str, Any]:
    """``load()`` again while the writer writes and the probe watches the top of ``board``;
    ``server`` is the API's process id (its CPU use is measured)."""
    here = Path(__file__)
    commits, seen = home / "commits.jsonl", home / "seen.jsonl"
    writer = subprocess.Popen(
        [sys.executable, str(here), "--writer", str(home), "--first", str(first),
         "--count", str(seconds), "--seconds", str(seconds), "--out", str(commits)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    probe: subprocess.Popen[bytes] | None = None
    try:
        assert writer.stdout is not None
        if writer.stdout.readline().strip() != "ready":
            raise SystemExit("the writer did not start")
        probe = subprocess.Popen(
            [sys.executable, str(here), "--probe", board, "--seconds", str(seconds),
             "--out", str(seen)]
        )  # fmt: skip
        time.sleep(warm_up)
        began, started, cpu = time.time(), time.monotonic(), cpu_seconds(server)
        children = children_cpu_seconds(server)
        results = load()
        ended, server_cpu = time.time(), cpu_rate(server, cpu, started)
        children_cpu = children_cpu_rate(server, children, started)
        time.sleep(SETTLE_SECONDS)  # the last scores of the load get their time to show
        if writer.poll() is not None or probe.poll() is not None:
            raise SystemExit("the writer or the probe stopped early: raise the seeded count")
    finally:
        for process in (writer, probe):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait()
    stamps = _lines(commits)
    during = [c for c in stamps if began <= c["committed"] <= ended]
    views = [(float(t), int(top)) for t, top in _lines(seen)]
    return {
        "targets": results,
        "visibility": visibility(during, views),
        "writer": {"scores": len(stamps), "most_late_seconds": max(c["late"] for c in stamps)},
        "server_cpu_per_second": server_cpu,
        "children_cpu_per_second": children_cpu,
    }


def _lines(path: Path) -> list[Any]:
    """The JSON lines of ``path`` (a last line cut short by the stop is left out)."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            found.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writer", type=Path, metavar="HOME")
    parser.add_argument("--probe", metavar="URL")
    parser.add_argument("--first", type=int, default=0, help="stream A's first id")
    parser.add_argument("--count", type=int, default=0, help="seeded ids per stream")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.writer is not None:
        a = list(range(args.first, args.first + args.count))
        b = list(range(args.first + args.count, args.first + 2 * args.count))
        write(args.writer, a, b, int(args.seconds), args.out)
    elif args.probe:
        probe(args.probe, args.seconds, args.out)


if __name__ == "__main__":
    main()
