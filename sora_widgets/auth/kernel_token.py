"""The identity token a Voila server hands the kernel that renders a dashboard.

The server (``hook.prelaunch_hook``) signs ``{user, session hash, issued, expires}``
with HMAC-SHA256 under a key only the server's home holds (``keys.kernel_key``),
and puts it in a first cell it adds to the notebook before the kernel starts.
The browser never sees it (Voila strips sources) and cannot run code in a
dashboard kernel (Voila allows it only comm and kernel-info messages), so the
kernel's identity can come from nowhere else. The token is short-lived: it only
has to survive kernel start-up. stdlib ``hmac`` rather than itsdangerous: 25
lines, no new dependency, constant-time comparison from ``hmac.compare_digest``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

__all__ = ["TOKEN_TTL_S", "issue_token", "read_token", "BadToken"]

# Kernel start-up on a loaded 2-core machine takes up to ~20 s; two minutes leaves room.
TOKEN_TTL_S = 120.0
_PURPOSE = b"sora-widgets kernel identity v1."


class BadToken(PermissionError):
    """The token is forged, damaged or expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(key: bytes, handle: str, *, session_hash: str | None = None, display_name: str | None = None,
                ttl_s: float = TOKEN_TTL_S, now: float | None = None) -> str:
    """A signed token naming ``handle``.

    Args:
        key: the server-only key (``keys.kernel_key(home)``).
        handle: the verified user.
        session_hash: the login session it came from; the kernel checks it is still live.
        display_name: the name the page's "logged in as" bar shows (saves the kernel a store read).
        ttl_s: seconds the token may be accepted after ``now``.
        now: the clock in Unix seconds (tests).
    """
    t = time.time() if now is None else now
    body = _b64(json.dumps({"u": handle, "s": session_hash, "n": display_name, "iat": t, "exp": t + ttl_s}).encode())
    sig = hmac.new(key, _PURPOSE + body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(sig)}"


def read_token(key: bytes, token: str, *, now: float | None = None) -> dict:
    """The token's claims (``u`` handle, ``s`` session hash, ``n`` display name) if genuine and unexpired; else ``BadToken``."""
    try:
        body, sig = str(token).split(".")
        expected = hmac.new(key, _PURPOSE + body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(sig)):
            raise BadToken("the identity token's signature is wrong")
        claims = json.loads(_unb64(body))
    except (ValueError, TypeError) as exc:
        raise BadToken("the identity token is damaged") from exc
    t = time.time() if now is None else now
    if not (claims.get("iat", 0) - 5 <= t <= claims.get("exp", 0)):
        raise BadToken("the identity token has expired")
    return claims
