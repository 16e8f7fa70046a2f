"""Where file contents live: one small interface, a local folder by default.

Contents are stored under the SHA-256 of their bytes (never the uploaded file name), written in
chunks so that memory stays flat whatever the size, and moved into place only when complete.
No Flask here.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


class TooLarge(Exception):
    """The content is larger than the limit it was written with."""


@dataclass(frozen=True)
class Stored:
    content_hash: str
    size: int
    head: bytes  # the first bytes, for sniffing the type


class LocalStorage:
    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def _path(self, content_hash: str) -> Path:
        if len(content_hash) != 64 or not all(c in "0123456789abcdef" for c in content_hash):
            raise ValueError("not a content hash")
        return self.root / content_hash[:2] / content_hash[2:4] / content_hash

    def put(self, stream: BinaryIO, limit: int) -> Stored:
        """Store a stream's bytes; TooLarge (and nothing kept) past ``limit`` bytes."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size, head = hashlib.sha256(), 0, b""
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(f"over {limit} bytes")
                    if len(head) < 512:
                        head += chunk[: 512 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            target = self._path(digest.hexdigest())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return Stored(digest.hexdigest(), size, head)

    def delete(self, content_hash: str) -> None:
        """Remove a content no row uses any more (nothing happens if it is not there)."""
        self._path(content_hash).unlink(missing_ok=True)

    def open(self, content_hash: str) -> BinaryIO:
        return self._path(content_hash).open("rb")

    def chunks(self, content_hash: str) -> Iterator[bytes]:
        with self.open(content_hash) as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
