"""Where file contents live: one small interface, a local folder by default (object storage: object_storage.py).

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
from typing import Protocol

CHUNK = 1024 * 1024
HEX = frozenset("0123456789abcdef")


class TooLarge(Exception):
    """The content is larger than the limit it was written with."""


class Missing(Exception):
    """No content is stored under this hash (deleted, or the storage was restored without it)."""


class Unreachable(Exception):
    """The storage did not answer or refused to (down, unmounted, wrong credentials): the content may well be there."""


@dataclass(frozen=True)
class Stored:
    content_hash: str
    size: int
    head: bytes  # the first bytes, for sniffing the type


class Storage(Protocol):
    """What the app asks of a storage backend, whichever it is."""

    def put(self, stream: BinaryIO, limit: int) -> Stored: ...
    def open(self, content_hash: str) -> BinaryIO: ...
    def chunks(self, content_hash: str) -> Iterator[bytes]: ...
    def delete(self, content_hash: str) -> None: ...
    def exists(self, content_hash: str) -> bool: ...
    def hashes(self) -> Iterator[str]: ...


def is_hash(name: str) -> bool:
    return len(name) == 64 and set(name) <= HEX


def checked(content_hash: str) -> str:
    if not is_hash(content_hash):
        raise ValueError("not a content hash")
    return content_hash


def copy_limited(stream: BinaryIO, out: BinaryIO, limit: int) -> Stored:
    """Copy a stream, hashing it; TooLarge past ``limit`` bytes (the caller throws away what was written)."""
    digest, size, head = hashlib.sha256(), 0, b""
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"over {limit} bytes")
        if len(head) < 512:
            head += chunk[: 512 - len(head)]
        digest.update(chunk)
        out.write(chunk)
    return Stored(digest.hexdigest(), size, head)


def pieces(stream: BinaryIO) -> Iterator[bytes]:
    """An opened content in chunks, closed at the end (or when the reader stops)."""
    with stream:
        while chunk := stream.read(CHUNK):
            yield chunk


class LocalStorage:
    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def _path(self, content_hash: str) -> Path:
        checked(content_hash)
        return self.root / content_hash[:2] / content_hash[2:4] / content_hash

    def put(self, stream: BinaryIO, limit: int) -> Stored:
        """Store a stream's bytes; TooLarge (and nothing kept) past ``limit`` bytes."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                stored = copy_limited(stream, out, limit)
            target = self._path(stored.content_hash)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return stored

    def delete(self, content_hash: str) -> None:
        """Remove a content no row uses any more (nothing happens if it is not there)."""
        self._path(content_hash).unlink(missing_ok=True)

    def open(self, content_hash: str) -> BinaryIO:
        """The content as a file; Missing or Unreachable when it cannot be read."""
        try:
            return self._path(content_hash).open("rb")
        except FileNotFoundError:
            raise Missing(content_hash) from None
        except OSError as error:
            raise Unreachable(type(error).__name__) from None

    def chunks(self, content_hash: str) -> Iterator[bytes]:
        """The content in pieces; opened now, so that Missing comes before the first piece is sent."""
        return pieces(self.open(content_hash))

    def exists(self, content_hash: str) -> bool:
        return self._path(content_hash).is_file()

    def hashes(self) -> Iterator[str]:
        """Every stored content's hash (for backups)."""
        for path in sorted(self.root.glob("??/??/*")):
            if is_hash(path.name) and path.is_file():
                yield path.name
