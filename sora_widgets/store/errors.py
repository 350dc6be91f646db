"""The store's errors (their own module so the store service's client can raise them without importing the
Store)."""

from __future__ import annotations

__all__ = ["NotFound", "StoreError"]


class StoreError(RuntimeError):
    """A store operation that cannot be done, with a readable reason."""


class NotFound(StoreError, KeyError):
    """No such user, clip or media."""

    def __str__(self) -> str:  # KeyError would add quotes
        return str(self.args[0]) if self.args else ""
