"""Server secrets kept in the home folder: the cookie secret and the kernel-token key.

Both are 32 random bytes created on first use in ``<home>/auth/`` (folder mode
0700, files 0600), so logins survive a server restart and no secret is ever in
a command line, an environment variable or the browser. A file with looser
permissions is refused rather than trusted.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

__all__ = ["COOKIE_SECRET_FILE", "KERNEL_KEY_FILE", "cookie_secret", "kernel_key", "secret_file"]

COOKIE_SECRET_FILE = "cookie_secret"
KERNEL_KEY_FILE = "kernel_token.key"
_SECRET_BYTES = 32


def _auth_dir(home: str | os.PathLike) -> Path:
    folder = Path(home).absolute() / "auth"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def secret_file(home: str | os.PathLike, name: str) -> bytes:
    """The secret ``<home>/auth/<name>``, created (32 random bytes, mode 0600) if missing.

    Args:
        home: the store's home folder.
        name: the file name (``COOKIE_SECRET_FILE`` or ``KERNEL_KEY_FILE``).

    Raises:
        PermissionError: the file exists but others may read or write it.
    """
    path = _auth_dir(home) / name
    try:
        # O_EXCL: two processes starting at once agree on one secret (the loser reads the winner's).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(_SECRET_BYTES))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PermissionError(f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}")
    data = path.read_bytes()
    if len(data) < _SECRET_BYTES:  # a writer that has not finished yet: wait for it once
        import time

        time.sleep(0.05)
        data = path.read_bytes()
    if len(data) < _SECRET_BYTES:
        raise PermissionError(f"{path} is shorter than {_SECRET_BYTES} bytes; delete it to make a new one")
    return data


def cookie_secret(home: str | os.PathLike) -> bytes:
    """The key tornado signs login cookies with (``Voila.cookie_secret``)."""
    return secret_file(home, COOKIE_SECRET_FILE)


def kernel_key(home: str | os.PathLike) -> bytes:
    """The key that signs the identity token the server hands a dashboard's kernel."""
    return secret_file(home, KERNEL_KEY_FILE)
