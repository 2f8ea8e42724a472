"""Files that may hold a secret: written 0600 from the first byte, replaced atomically."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from cgw.errors import CgwError


def write_private_file(path: Path, content: str, mode: int = 0o600) -> None:
    """Write a file that may hold a secret: created with `mode` (0600) from the start."""
    write_private_bytes(path, content.encode("utf-8"), mode)


def write_private_bytes(path: Path, content: bytes, mode: int = 0o600) -> None:
    """Write bytes that may hold a secret: created with `mode` (0600) from the start.

    The content goes to a temporary name beside the target, then is renamed over it, so the
    file is never seen half written, not even when cgw is interrupted mid-write.
    """
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        _remove(temporary)
        raise CgwError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(temporary)
        raise


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
