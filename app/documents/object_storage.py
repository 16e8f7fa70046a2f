"""File contents in a bucket of an S3-compatible object store (AWS S3, SeaweedFS, MinIO, Ceph…), one object per
content hash, behind the same interface as the local folder (storage.py). No Flask here."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError

from app.documents.storage import Missing
from app.documents.storage import Stored
from app.documents.storage import Unreachable
from app.documents.storage import checked
from app.documents.storage import copy_limited
from app.documents.storage import is_hash
from app.documents.storage import pieces

NOT_THERE = {"NoSuchKey", "404", "NotFound"}
# A store that does not answer must fail a page in seconds, not hang it.
PATIENCE = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2, "mode": "standard"})


@contextmanager
def _answers() -> Iterator[None]:
    """The store's errors as the interface's: Missing for an absent object, Unreachable for anything else."""
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in NOT_THERE:
            raise Missing() from None
        raise Unreachable(code) from None
    except BotoCoreError as error:
        raise Unreachable(type(error).__name__) from None


class ObjectStorage:
    def __init__(self, bucket: str, endpoint_url: str = "", access_key: str = "", secret_key: str = "", region: str = "") -> None:
        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            region_name=region or None,
            config=PATIENCE,
        )

    def put(self, stream: BinaryIO, limit: int) -> Stored:
        """Store a stream's bytes; TooLarge (and nothing kept) past ``limit`` bytes.

        The hash names the object, so it must be known before the upload: the bytes are spooled to a temporary
        file first (memory stays flat), then uploaded (in parts when large)."""
        with tempfile.TemporaryFile() as spool:
            stored = copy_limited(stream, spool, limit)  # type: ignore[arg-type]
            spool.seek(0)
            with _answers():
                self.client.upload_fileobj(spool, self.bucket, stored.content_hash)
        return stored

    def delete(self, content_hash: str) -> None:
        """Remove a content no row uses any more (nothing happens if it is not there)."""
        with _answers():
            self.client.delete_object(Bucket=self.bucket, Key=checked(content_hash))

    def open(self, content_hash: str) -> BinaryIO:
        """The content as a real, seekable file (readers seek, and PDF pages are rendered by a child process reading it)."""
        spool = tempfile.TemporaryFile()
        try:
            with _answers():
                self.client.download_fileobj(self.bucket, checked(content_hash), spool)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool  # type: ignore[return-value]

    def chunks(self, content_hash: str) -> Iterator[bytes]:
        """The content in pieces, straight from the store; asked for now, so that Missing comes before the first piece."""
        with _answers():
            body = self.client.get_object(Bucket=self.bucket, Key=checked(content_hash))["Body"]
        return _guarded(pieces(body))

    def exists(self, content_hash: str) -> bool:
        try:
            with _answers():
                self.client.head_object(Bucket=self.bucket, Key=checked(content_hash))
        except Missing:
            return False
        return True

    def hashes(self) -> Iterator[str]:
        """Every stored content's hash (for backups); other objects of the bucket are left alone."""
        with _answers():
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
                for item in page.get("Contents", []):
                    if is_hash(item["Key"]):
                        yield item["Key"]


def _guarded(chunks: Iterator[bytes]) -> Iterator[bytes]:
    with _answers():
        yield from chunks
