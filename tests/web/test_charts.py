"""The SVG geometry, without a page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leaderboard import HistoryPoint
from podium.web.charts import BAR_PAD, BAR_WIDTH, history_plot, interval_bars

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_interval_bars_share_one_scale() -> None:
    bars = interval_bars({1: (0.8, 0.85, 0.9), 2: (0.5, 0.6, 0.7)})
    assert bars[2].x_low < bars[2].x_score < bars[2].x_high < bars[1].x_low
    assert bars[2].x_low >= BAR_PAD and bars[1].x_high <= BAR_WIDTH - BAR_PAD
    flat = interval_bars({1: (0.5, 0.5, 0.5)})[1]
    assert flat.x_low == flat.x_score == flat.x_high


def test_history_plot_draws_steps_per_team() -> None:
    history = {
        7: [HistoryPoint(T0, 0.5), HistoryPoint(T0 + timedelta(hours=1), 0.7)],
        9: [HistoryPoint(T0 + timedelta(minutes=30), 0.6)],
    }
    plot = history_plot(history, {7: "b", 9: "a"}, y_label="acc", decimals=2,
                        until=T0 + timedelta(hours=2))  # fmt: skip
    assert plot is not None
    assert [s.name for s in plot.series] == ["a", "b"]
    steps = [tuple(map(float, p.split(","))) for p in plot.series[1].points.split()]
    assert len(steps) == 4  # start, step across, step up, held until the end
    assert steps[1][1] == steps[0][1] and steps[2][0] == steps[1][0] and steps[2][1] < steps[1][1]
    assert steps[2][0] < steps[-1][0] <= plot.right and steps[-1][1] == steps[2][1]
    assert [t.label for t in plot.y_ticks][0] < [t.label for t in plot.y_ticks][-1]


def test_no_points_no_plot() -> None:
    assert history_plot({}, {}, y_label="acc", decimals=2, until=T0) is None
