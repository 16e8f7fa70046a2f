"""The one place that chooses where file contents live: the object store when a bucket is configured, else the
local folder. No Flask here: it reads the configuration it is given."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from app.documents.object_storage import ObjectStorage
from app.documents.storage import LocalStorage
from app.documents.storage import Storage


def storage_for(config: Mapping[str, Any]) -> Storage:
    """The configured storage backend (OBJECT_STORAGE_* when OBJECT_STORAGE_BUCKET is set, else STORAGE_DIR)."""
    bucket = config.get("OBJECT_STORAGE_BUCKET") or ""
    if not bucket:
        return LocalStorage(config["STORAGE_DIR"])
    return _object_storage(
        bucket,
        config.get("OBJECT_STORAGE_URL") or "",
        config.get("OBJECT_STORAGE_ACCESS_KEY") or "",
        config.get("OBJECT_STORAGE_SECRET_KEY") or "",
        config.get("OBJECT_STORAGE_REGION") or "",
    )


# A client takes tens of milliseconds to build and is safe to share between threads: one per configuration.
@functools.lru_cache(maxsize=8)
def _object_storage(bucket: str, endpoint_url: str, access_key: str, secret_key: str, region: str) -> ObjectStorage:
    return ObjectStorage(bucket, endpoint_url, access_key, secret_key, region)
