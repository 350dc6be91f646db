"""The social services' SQL files (``social/sql/*.sql``): read once, run statement by statement."""

from __future__ import annotations

import functools
import re
from importlib import resources

__all__ = ["load", "run", "run_text"]


@functools.cache
def load(name: str) -> str:
    """The text of ``social/sql/<name>``."""
    return (resources.files("sora_widgets.social") / "sql" / name).read_text()


def run(con, name: str, params: dict | None = None, **fill: str):
    """Run every statement of ``social/sql/<name>`` on ``con``; returns the last one's cursor.

    Args:
        con: an open DuckDB connection (the caller's transaction).
        name: the file's name, e.g. ``"stats_rescore.sql"``.
        params: the named parameters; each statement gets only those it mentions.
        **fill: fixed SQL fragments put in the file's ``{placeholders}`` (never user input).
    """
    return run_text(con, load(name).format(**fill) if fill else load(name), params)


def run_text(con, text: str, params: dict | None = None):
    """Run every statement of the SQL ``text`` on ``con`` (as :func:`run`); returns the last one's cursor.

    Args:
        con: an open DuckDB connection.
        text: SQL statements separated by ';', ``--`` comments allowed (none inside string literals).
        params: the named parameters; each statement gets only those it mentions.
    """
    cur = None
    for stmt in (s for s in _COMMENT.sub("", text).split(";") if s.strip()):
        # DuckDB refuses parameters a statement does not use.
        used = {k: v for k, v in (params or {}).items() if re.search(rf"\${k}\b", stmt)}
        cur = con.execute(stmt, used)
    return cur


# Our SQL files put no '--' inside string literals, so a comment is '--' to the end of the line.
_COMMENT = re.compile(r"--[^\n]*")
