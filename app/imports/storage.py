"""Where uploaded files live until their job ends: a directory every API and worker process
shares (`LOYALTY_IMPORT_DIR`, by default `<data dir>/imports`), one file per job.

Files hold personal data: they are written owner-only, named by ids only, and deleted when the
job reaches a final status.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


class FileTooLarge(Exception):
    pass


@dataclass(frozen=True)
class StoredFile:
    relative_path: str
    size: int
    sha256: str


class ImportStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def relative_path(self, organization_id: uuid.UUID, job_id: uuid.UUID) -> str:
        return f"{organization_id}/{job_id}.csv"

    def path(self, relative: str) -> Path:
        target = (self.root / relative).resolve()
        if self.root.resolve() not in target.parents:
            raise ValueError("stored import path outside the import directory")
        return target

    def store(self, source: BinaryIO, relative: str, limit: int) -> StoredFile:
        """Copy an upload into place, streaming; FileTooLarge past `limit` bytes."""
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = target.with_suffix(".part")
        digest = hashlib.sha256()
        size = 0
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise FileTooLarge()
                    digest.update(chunk)
                    out.write(chunk)
            partial.replace(target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise
        return StoredFile(relative, size, digest.hexdigest())

    def delete(self, relative: str) -> None:
        if not relative:
            return
        with contextlib.suppress(FileNotFoundError, ValueError):
            self.path(relative).unlink()
