"""The trending score behind the "HOT ISSUE" lists. Pure; no AWS.

A trending list answers "what is taking off right now", not "what is big". The score of an article
for a window W (1 hour or 24 hours) is

    score = recent × lift × decay

- ``recent``: its countable views in W;
- ``lift = (recent + k) / (expected + k)``: how far recent views run above the article's own
  baseline. ``expected`` is the views W would hold at the article's average rate over the history
  before W (the rest of the next longer window: 23 hours before the last hour, or 6 days before the
  last day), with history shorter than one window counted as one window, so a few minutes of
  history are not extrapolated into a huge expected rate. ``k`` (``TrendingPriorViews``) is added
  to both sides so a handful of views on a quiet article cannot look like a surge;
- ``decay = 0.5 ** (age_hours / half_life)`` (``TrendingHalfLifeHours``): freshness.

Properties the tests hold it to: the score rises with recent views; with the same views in the
window, the article with less history (accelerating) scores at least as high as a steady one; decay
falls with age. The reasoning behind the defaults is in docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from mostread.timebuckets import FINE_SECONDS, HOUR_SECONDS, WindowName, floor_to


@dataclass(frozen=True, slots=True)
class TrendingWindow:
    """A trending window and the longer window whose remainder is the article's baseline."""

    name: WindowName
    baseline_window: WindowName
    hours: int
    history_hours: int
    # scores are evaluated at the start of the window's current bucket: an unchanged list is not
    # rewritten every minute merely because its articles grew a minute older
    step_seconds: int


TRENDING_WINDOWS: dict[WindowName, TrendingWindow] = {
    "1h": TrendingWindow("1h", "24h", 1, 23, FINE_SECONDS),
    "24h": TrendingWindow("24h", "7d", 24, 144, HOUR_SECONDS),
}


@dataclass(frozen=True, slots=True)
class TrendingParameters:
    half_life_hours: float = 12.0
    prior_views: float = 10.0
    min_views: int = 1


def decay(age_hours: float, half_life_hours: float) -> float:
    """Freshness factor: 1 at publication, halving every ``half_life_hours``; a future date counts as new."""
    return float(0.5 ** (max(age_hours, 0.0) / half_life_hours))


def expected_views(history_views: int, age_hours: float, window: TrendingWindow) -> float:
    """Views the window would hold at the article's average rate before it."""
    observed_hours = min(max(age_hours - window.hours, window.hours), window.history_hours)
    return history_views * window.hours / observed_hours


def lift(recent_views: int, expected: float, prior_views: float) -> float:
    return (recent_views + prior_views) / (expected + prior_views)


def trending_score(
    recent_views: int,
    history_views: int,
    age_hours: float,
    window: TrendingWindow,
    parameters: TrendingParameters,
) -> float:
    expected = expected_views(history_views, age_hours, window)
    raw = recent_views * lift(recent_views, expected, parameters.prior_views)
    return rounded(raw * decay(age_hours, parameters.half_life_hours))


def rounded(score: float) -> float:
    """Four significant digits: the published score, and the one the list is ordered by."""
    return float(f"{score:.4g}")


def evaluation_time(now: float, window: TrendingWindow) -> int:
    return floor_to(now, window.step_seconds)
