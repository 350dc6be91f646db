"""A teen's daily limit on continuous scrolling, counted by the server.

The feed service (``social.feed.page``) asks :func:`feed_allowance` before it ranks
anything and calls :func:`record_served` with the number of clips it served, in the
same transaction. Nothing the widget sends is counted: only what the server served
and when, so a client that skips, reloads or lies about watching gets no more.

How time is counted. ``daily_limit_minutes`` is compared with the larger of:

- the wall-clock time between consecutive pages served the same day, each gap
  counted up to :data:`SCROLL_BREAK_S` (a longer gap is a break: scrolling stops being
  continuous there), and
- :data:`SECONDS_PER_CLIP` seconds per clip served (nobody watches a clip faster; it
  stops a fast scroller from getting a day's worth of clips in a few minutes).

So the number of clips a teen can be served in a day is at most
``ceil(limit_minutes * 60 / SECONDS_PER_CLIP)`` and at most ``daily_limit_clips``.
Quiet hours stop the feed altogether. Days are the server's local calendar days.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from dataclasses import dataclass

import duckdb

from ..store import Store, normalise_handle
from .guardians import ADULT_SETTINGS, in_quiet_hours, settings_for

__all__ = ["SCROLL_BREAK_S", "SECONDS_PER_CLIP", "STOP_REASON", "Allowance", "feed_allowance", "record_served",
           "usage_today"]

#: Seconds each served clip counts for, at least (the sim engine's clips last about 4 s).
SECONDS_PER_CLIP = 4.0
#: A gap between two served pages longer than this (s) is a break, not scrolling.
SCROLL_BREAK_S = 5 * 60
#: The friendly words of the stop screen.
STOP_REASON = "That's your feed for today. Come back tomorrow!"


@dataclass(frozen=True)
class Allowance:
    """What the feed may serve ``viewer`` now.

    - ``personalised``: may the page be ranked for this person (a guardian can turn it off);
    - ``remaining``: clips that may still be served today (None: no limit; 0: stopped);
    - ``reason``: when stopped, the words the stop screen shows; otherwise a short note
      ("" for no limit).
    """

    personalised: bool
    remaining: int | None
    reason: str


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else dt.datetime.now()


def _usage(con, handle: str, day: dt.date) -> tuple[int, float, dt.datetime | None]:
    row = con.execute("SELECT clips_served, active_s, last_served_at FROM feed_usage WHERE handle = ? AND day = ?",
                      [handle, day]).fetchone()
    return (int(row[0]), float(row[1]), row[2]) if row else (0, 0.0, None)


def usage_today(store: Store, viewer: str, *, now: dt.datetime | None = None) -> dict:
    """``viewer``'s counters for today: ``clips_served``, ``active_s`` (wall-clock scrolling, s) and
    ``used_s`` (what the minute limit compares: the larger of active time and clips x SECONDS_PER_CLIP)."""
    now = _now(now)
    with store.read() as con:
        clips, active, _ = _usage(con, normalise_handle(viewer), now.date())
    return {"clips_served": clips, "active_s": active, "used_s": max(active, clips * SECONDS_PER_CLIP)}


def feed_allowance(store: Store, viewer: str, *, now: dt.datetime | None = None,
                   minor: bool | None = None) -> Allowance:
    """May the feed be personalised for ``viewer``, and how many more clips may it serve today?

    Args:
        store: the store (works inside an open transaction).
        viewer: the logged-in viewer.
        now: the current time (default: the server's clock; tests step days with it).
        minor: whether teen protections apply to ``viewer``, when the caller read it already
            (``social.feed`` does, with the account): False skips reading the age again and takes the
            adults' settings (``guardians.ADULT_SETTINGS``), True reads only the guardians' settings
            (``guardians.settings_for(minor=True)``); None reads both.
    """
    now = _now(now)
    viewer = normalise_handle(viewer)
    with store.read() as con:  # one connection for the settings and the counters (each open costs ~16 ms)
        s = ADULT_SETTINGS if minor is False else settings_for(store, viewer, minor=minor)
        limited = s["daily_limit_clips"] is not None or s["daily_limit_minutes"] is not None
        # The counters only matter under a limit (each read is a round trip through a store service).
        clips, active, _ = _usage(con, viewer, now.date()) if limited else (0, 0.0, None)
    personalised = bool(s["personalised"])
    if in_quiet_hours(s, now):
        start, end = s["quiet_hours"]
        return Allowance(personalised, 0, f"Quiet hours ({start}-{end}): your feed is back at {end}.")
    limits = []
    if s["daily_limit_clips"] is not None:
        limits.append(s["daily_limit_clips"] - clips)
    if s["daily_limit_minutes"] is not None:
        left_s = s["daily_limit_minutes"] * 60 - max(active, clips * SECONDS_PER_CLIP)
        limits.append(math.ceil(left_s / SECONDS_PER_CLIP) if left_s > 0 else 0)
    if not limits:
        return Allowance(personalised, None, "")
    remaining = max(0, min(limits))
    if remaining == 0:
        return Allowance(personalised, 0, STOP_REASON)
    return Allowance(personalised, remaining, f"{remaining} clips left today")


def record_served(store: Store, viewer: str, n: int, *, con: duckdb.DuckDBPyConnection | None = None,
                  now: dt.datetime | None = None, minor: bool | None = None) -> None:
    """Count ``n`` clips served to ``viewer`` now (teens only: adults have no limit).

    Args:
        store: the store.
        viewer: who was served.
        n: how many clips the page held (0 still marks the time, for the gap count).
        con: the feed's open transaction (the count commits with the page).
        now: the current time (default: the server's clock).
        minor: whether teen protections apply to ``viewer``, when the caller read it in the same
            transaction (``social.feed`` does, with the account); None reads it.
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more; got {n}")
    now = _now(now)
    viewer = normalise_handle(viewer)
    with contextlib.ExitStack() as stack:
        if con is None:
            con = stack.enter_context(store.transaction())
        if not (settings_for(store, viewer)["minor"] if minor is None else minor):
            return  # adults have no limit; a teen is counted even without one, so a limit set later sees the day
        day = now.date()
        clips, active, last = _usage(con, viewer, day)
        if last is not None:
            gap = (now - last).total_seconds()
            active += min(max(gap, 0.0), SCROLL_BREAK_S) if gap <= SCROLL_BREAK_S else 0.0
        # Delete and insert, not one INSERT ... ON CONFLICT DO UPDATE: DuckDB's upsert costs more than the round
        # trip it saves (a transaction of each on a 5,000-row feed_usage: p50 10.0-10.7 vs 6.9-7.3 ms).
        con.execute("DELETE FROM feed_usage WHERE handle = ? AND day = ?", [viewer, day])
        con.execute("INSERT INTO feed_usage (handle, day, clips_served, active_s, last_served_at) VALUES (?, ?, ?, ?, ?)",
                    [viewer, day, clips + int(n), active, now])
