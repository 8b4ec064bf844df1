"""The figures of ``benchmarks/leaderboard_load.py``: frozen and live side by side, the cost
of a rebuild, the server's CPU, how soon new scores show, the machine's load, the verdicts."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any


def report(
    args: argparse.Namespace,
    targets: tuple[str, ...],
    server: str,
    inserts: float,
    cold: float,
    costs: dict[str, float],
    frozen: dict[str, Any],
    moving: dict[str, Any] | None,
) -> None:
    summary = _summary(args, server, inserts, cold, costs, frozen, moving)
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(
        f"{summary['submissions']:,} submissions from {args.teams:,} teams; inserts "
        f"{inserts:.1f} s; first (cold) leaderboard {cold * 1000:.0f} ms"
    )
    print(
        f"one rebuild of the board (as the API's ranking child makes it, median of 3): "
        f"read whole "
        f"{costs['rebuild_s']:.3f} s, brought up to date after one change "
        f"{costs['rebuild_update_s']:.3f} s ({costs['rebuild_update_cpu_s']:.3f} s CPU); "
        f"before issue 13 (every submission ranked) {costs['rebuild_every_entry_s']:.3f} s"
    )
    runs = {"frozen": frozen, **({"live": moving["targets"]} if moving else {})}
    print(f"{'':12s}" + "".join(f"{name:>34s}" for name in runs))
    print(f"{'target':12s}" + f"{'requests  errors  p50 ms  p99 ms':>34s}" * len(runs))
    for target in targets:
        cells = "".join(
            f"{r[target]['requests']:>10d}{r[target]['errors']:>8d}"
            f"{r[target]['p50_ms']:>8.2f}{r[target]['p99_ms']:>8.2f}"
            for r in runs.values()
        )
        print(f"{target:12s}{cells}")
    cpu = [f"{name} {run['server_cpu_per_second']:.2f}" for name, run in
           (("frozen", frozen), ("live", moving)) if run]  # fmt: skip
    print(f"server process CPU seconds per second of load: {', '.join(cpu)}")
    ranking = [f"{name} {run['children_cpu_per_second']:.2f}" for name, run in
               (("frozen", frozen), ("live", moving)) if run]  # fmt: skip
    print(f"its ranking child (podium.services.board_process), likewise: {', '.join(ranking)}")
    if moving:
        seen, writer = moving["visibility"], moving["writer"]
        print(
            f"live: a writer process made 1 new score and 5 status changes per second "
            f"({writer['scores']} scores in all, at most {writer['most_late_seconds']} s late); "
            f"{seen['scores']} new scores during the load, {seen['unseen']} never seen; visible "
            f"after p50 {seen['p50_s']} s, p99 {seen['p99_s']} s, max {seen['max_s']} s"
        )
    load = summary["load_average_at_end"]
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load[0]} / {load[1]} / {load[2]} "
        f"(1/5/15 min) at the end; server: {summary['server']}"
    )
    for line in summary["verdicts"]:
        print(line)


def _summary(
    args: argparse.Namespace,
    server: str,
    inserts: float,
    cold: float,
    costs: dict[str, float],
    frozen: dict[str, Any],
    moving: dict[str, Any] | None,
) -> dict[str, Any]:
    verdicts = []
    for name, run in (("frozen", frozen), ("live", moving["targets"] if moving else None)):
        if run is None:
            continue
        p99, ratio = (
            run["leaderboard"]["p99_ms"],
            run["leaderboard"]["p50_ms"] / run["trivial"]["p50_ms"],
        )
        verdicts.append(
            f"{name}: leaderboard p99 {p99:.2f} ms {'meets' if p99 <= 25 else 'MISSES'} 25 ms; "
            f"p50 ratio to the trivial endpoint {ratio:.2f} ({'meets' if ratio <= 3 else 'MISSES'}"
            " <= 3)"
        )
    if moving:
        worst = moving["visibility"]["max_s"]
        fine = worst <= 2.0 and moving["visibility"]["unseen"] == 0
        verdicts.append(
            f"live: new scores visible within {worst} s: {'meets' if fine else 'MISSES'} 2 s"
        )
    return {
        "submissions": args.teams * args.per_team,
        "teams": args.teams,
        "rate": args.rate,
        "seconds_per_target": args.seconds,
        "insert_seconds": round(inserts, 1),
        "cold_leaderboard_seconds": round(cold, 3),
        **costs,
        "frozen": frozen,
        "live": moving,
        "server": server,
        "cpus": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "verdicts": verdicts,
    }
