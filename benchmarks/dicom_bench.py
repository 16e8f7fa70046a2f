"""DICOM de-identification benchmark: Consilium's de-identification against plain pydicom read + write.

Generates a CT study (default 300 slices of 512×512, 16-bit, with identifying attributes, a
private block and a nested sequence), then, alternating rounds so that machine noise falls on both:
(a) reads and writes every file with pydicom, (b) de-identifies every file the way
`flask dicom deidentify` does (same code path). Prints files per second and MB per second of each
and, on the last line, deid_ratio = speed of (b) / speed of (a) (target ≥ 0.7).

Then the app's memory while a large study uploads (target: flat, under 200 MB): a study of
``--upload-gb`` GB (same slices, zipped without compression) is posted to a demo panel of a real
server, as a browser would: a fresh SQLite database and storage folder in a temp dir, migrated and
seeded with the demo data (``flask db upgrade``, ``flask demo``), served by benchmarks/upload_server.py
in its own process (Werkzeug, one request at a time), the demo clinician signs in through the login
form and posts the zip with the panel page's CSRF token, the body streamed from disk. The server's
RSS (/proc/PID/status) is read every 50 ms; its baseline is the RSS once signed in and the panel page
served, its peak the largest sample or the kernel's high-water mark (reset after the baseline),
whichever is larger. The POST returns when every file is de-identified and stored; the documents are
then counted in the database. ``--upload-gb 0`` skips this part; ``--trace`` runs it again under
tracemalloc and prints what the upload request left allocated (slow). MB are 10^6 bytes throughout.

    python benchmarks/dicom_bench.py [--slices 300] [--rounds 4] [--upload-gb 1.0] [--trace]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from pydicom import dcmread  # noqa: E402
from pydicom.dataset import Dataset  # noqa: E402
from pydicom.dataset import FileMetaDataset  # noqa: E402
from pydicom.sequence import Sequence  # noqa: E402
from pydicom.uid import CTImageStorage  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian  # noqa: E402
from pydicom.uid import generate_uid  # noqa: E402

from app.demo.data import DEMO_PASSWORD  # noqa: E402
from app.documents.deidentify import Options  # noqa: E402
from app.documents.deidentify import Patient  # noqa: E402
from app.documents.dicom_files import deidentify_folder  # noqa: E402
from app.identifying import Identity  # noqa: E402

SIZE = 512
# Hanna Peeters (BE10) leads the demo panel in selection, about Roger Addel: the patient of the generated study.
UPLOADER = "hp1@demo.consilium.eu"
PANEL_NICKNAME = "silver birch"
CSRF_TOKEN = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
ATTACHED = re.compile(r"(\d+) files? attached( from the zip file)?\.")
SAMPLE_SECONDS = 0.05


def generate(folder: Path, slices: int) -> int:
    """A CT study as a hospital system would export it; returns the bytes written."""
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    pixels = bytes(range(256)) * (SIZE * SIZE * 2 // 256)
    total = 0
    for number in range(1, slices + 1):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, generate_uid()
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = "Addel^Roger", "4711-0815", "19760205", "M"
        ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = "20261121"
        ds.StudyTime = "101500"
        ds.AccessionNumber, ds.InstitutionName, ds.ReferringPhysicianName = "ACC123456", "University Hospital Leuven", "Peeters^Hanna"
        ds.StudyDescription, ds.SeriesDescription = "CT thorax Addel", "Axial 1 mm"
        ds.Modality, ds.Manufacturer, ds.DeviceSerialNumber = "CT", "ACME", "SN-0042"
        ds.InstanceNumber, ds.SliceLocation = number, float(number)
        ds.ImagePositionPatient, ds.ImageOrientationPatient = [0, 0, float(number)], [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing, ds.SliceThickness = [0.7, 0.7], 1.0
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.Rows = ds.Columns = SIZE
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        item = Dataset()
        item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = CTImageStorage, generate_uid()
        ds.ReferencedImageSequence = Sequence([item])
        ds.add_new(0x00090010, "LO", "ACME private")
        ds.add_new(0x00091001, "LO", "Addel^Roger 4711-0815")
        ds.PixelData = pixels
        path = folder / f"IM{number:05d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        total += path.stat().st_size
    return total


def plain(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        dcmread(path).save_as(target / path.name, enforce_file_format=True)


def consilium(source: Path, target: Path) -> None:
    identity = Identity(names=("Roger", "Addel"), birth_dates=(date(1976, 2, 5),), others=("Addel, Roger DOB: 05/02/1976 (M)",))
    patient = Patient("ERN-BE10-EuroBloodNet-001", b"benchmark-secret", identity)
    summary = deidentify_folder(source, target, patient, Options())
    if summary.skipped:
        raise SystemExit(f"unexpected skips: {summary.skipped[:3]}")


class MultipartBody:
    """A multipart/form-data body of form fields and one file, read from disk as it is sent (never
    held in memory); its length is known, so the request has a Content-Length like a browser's."""

    def __init__(self, fields: dict[str, str], name: str, path: Path, content_type: str) -> None:
        self.boundary = uuid.uuid4().hex
        head = b"".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
            for key, value in fields.items()
        )
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{path.name}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._parts: list[BinaryIO] = [io.BytesIO(head), path.open("rb"), io.BytesIO(tail)]
        self._length = len(head) + path.stat().st_size + len(tail)
        self.sent_at: float | None = None  # when the last byte was handed to the socket

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        data = b""
        while self._parts and (size < 0 or len(data) < size):
            chunk = self._parts[0].read(-1 if size < 0 else size - len(data))
            if chunk:
                data += chunk
            else:
                self._parts.pop(0).close()
        if not data and self.sent_at is None:
            self.sent_at = time.perf_counter()
        return data

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(1024 * 1024):
            yield chunk

    def close(self) -> None:
        for part in self._parts:
            part.close()


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    """A /proc/PID/status memory line (kB) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no {key} for process {pid}")


@dataclass
class Sampler:
    """The RSS of a process every SAMPLE_SECONDS, in a thread, until stopped."""

    pid: int
    samples: list[tuple[float, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while True:
            try:
                self.samples.append((time.perf_counter(), rss_mb(self.pid)))
            except (OSError, RuntimeError):
                return
            if self._stop.wait(SAMPLE_SECONDS):
                return

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self) -> float:
        return max(rss for _, rss in self.samples)

    def at(self, moment: float) -> float:
        """The last sample taken at or before ``moment``."""
        return next((rss for when, rss in reversed(self.samples) if when <= moment), self.samples[0][1])


@dataclass
class Upload:
    files: int  # documents stored
    seconds: float  # from the first byte sent to the response (every file stored)
    sent_seconds: float  # until the last byte was sent
    started_mb: float  # the server's RSS once started (app created, no request yet)
    earlier_peak_mb: float  # its high-water mark before the upload: start, sign-in (argon2 takes 64 MiB), panel page
    before_mb: float  # signed in, panel page served: the baseline
    peak_mb: float  # during the POST
    sent_mb: float  # when the whole body had been sent (Werkzeug has spooled it)
    after_mb: float  # when the POST had returned
    timeline: list[float]  # the RSS at every tenth of the POST's time
    page_seconds: float  # the redirect: the panel page listing every file
    page_peak_mb: float
    flash: str  # the page's message about the zip file


def write_zip(folder: Path, target: Path) -> None:
    """Zip the study as a hospital export would (no compression: pixels barely compress); the slices go as they are zipped."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"STUDY/{path.name}")
            path.unlink()


def flask_command(env: dict[str, str], *command: str) -> None:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *command], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"flask {' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def count_documents(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        (count,) = connection.execute("SELECT count(*) FROM documents").fetchone()
    return int(count)


def csrf_token(html: str) -> str:
    found = CSRF_TOKEN.search(html)
    if not found:
        raise SystemExit("no CSRF token on the page")
    return found.group(1)


def serve(root: Path, trace: bool) -> tuple[subprocess.Popen[str], str, int, Path]:
    """Migrate and seed a fresh database, start the server; returns it, its URL, the panel's id and its database."""
    root.mkdir()
    database = root / "consilium.sqlite"
    env = os.environ | {
        "CONSILIUM_DATABASE_URL": f"sqlite:///{database}",
        "CONSILIUM_STORAGE_DIR": str(root / "storage"),
        "CONSILIUM_SECRET_KEY": uuid.uuid4().hex,
        "CONSILIUM_DEMO_MODE": "true",
        "CONSILIUM_SCHEDULER_ENABLED": "false",
        "TMPDIR": str(root),  # Werkzeug spools the upload here: removed with the rest
    }
    flask_command(env, "db", "upgrade")
    flask_command(env, "demo")
    with sqlite3.connect(database) as connection:
        row = connection.execute("SELECT id FROM panels WHERE nickname = ?", (PANEL_NICKNAME,)).fetchone()
    if row is None:
        raise SystemExit(f"no demo panel {PANEL_NICKNAME!r}")
    command = [sys.executable, str(ROOT / "benchmarks" / "upload_server.py"), *(["--tracemalloc"] if trace else [])]
    with (root / "server.log").open("w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    port = server.stdout.readline().strip() if server.stdout else ""
    if not port.isdigit():
        server.kill()
        raise SystemExit(f"the server did not start:\n{(root / 'server.log').read_text()}")
    return server, f"http://127.0.0.1:{port}", row[0], database


def reset_peak(pid: int) -> None:
    """Restart the kernel's high-water mark (VmHWM) of a process from its current RSS (Linux ≥ 4.0; else the samples alone count)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


def upload(root: Path, study: Path, trace: bool = False) -> Upload:
    """Post the zipped study to the demo panel on a server of its own, watching the server's memory."""
    server, url, panel_id, database = serve(root, trace)
    try:
        started_mb = rss_mb(server.pid)
        http = requests.Session()
        login = http.get(f"{url}/login", timeout=60)
        signed_in = http.post(
            f"{url}/login", data={"email": UPLOADER, "password": DEMO_PASSWORD, "csrf_token": csrf_token(login.text)}, timeout=60
        )
        if signed_in.url.rstrip("/") != url:
            raise SystemExit(f"{UPLOADER} was not signed in (ended on {signed_in.url})")
        panel = http.get(f"{url}/panels/{panel_id}", timeout=60)
        panel.raise_for_status()
        documents_before = count_documents(database)
        body = MultipartBody({"csrf_token": csrf_token(panel.text), "kind": "document"}, "file", study, "application/zip")
        headers = {"Content-Type": body.content_type}
        before, earlier_peak = rss_mb(server.pid), rss_mb(server.pid, "VmHWM")
        reset_peak(server.pid)
        try:
            with Sampler(server.pid) as sampler:
                started = time.perf_counter()
                posted = http.post(f"{url}/panels/{panel_id}/documents", data=body, headers=headers, allow_redirects=False, timeout=3600)
                finished = time.perf_counter()
        finally:
            body.close()
        peak = max(sampler.peak(), rss_mb(server.pid, "VmHWM"))
        after = rss_mb(server.pid)
        if not posted.is_redirect:
            log = (root / "server.log").read_text()[-3000:]
            raise SystemExit(f"the upload failed ({posted.status_code}, not a redirect); the server's log ends:\n{log}")
        stored = count_documents(database) - documents_before
        reset_peak(server.pid)
        with Sampler(server.pid) as page_sampler:  # where the browser goes next: the panel, with every file listed
            page_started = time.perf_counter()
            page = http.get(urljoin(url, posted.headers["Location"]), timeout=600)
            page_seconds = time.perf_counter() - page_started
        page.raise_for_status()
        page_peak = max(page_sampler.peak(), rss_mb(server.pid, "VmHWM"))
        flashed = ATTACHED.search(page.text)
        if flashed and int(flashed.group(1)) != stored:
            raise SystemExit(f"{stored} documents stored, the page says {flashed.group(0)}")
        sent = body.sent_at or finished
        steps = [started + (finished - started) * i / 10 for i in range(11)]
        return Upload(
            files=stored,
            seconds=finished - started,
            sent_seconds=sent - started,
            started_mb=started_mb,
            earlier_peak_mb=earlier_peak,
            before_mb=before,
            peak_mb=peak,
            sent_mb=sampler.at(sent),
            after_mb=after,
            timeline=[sampler.at(t) for t in steps],
            page_seconds=page_seconds,
            page_peak_mb=page_peak,
            flash=flashed.group(0) if flashed else "",
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def measure_upload(gigabytes: float, trace: bool) -> float:
    """Generate and zip a study of about ``gigabytes`` GB, upload it; prints the figures and returns the peak RSS in MB."""
    with tempfile.TemporaryDirectory(prefix="consilium-upload-bench-") as directory:
        return _measure_upload(Path(directory), gigabytes, trace)


def _measure_upload(root: Path, gigabytes: float, trace: bool) -> float:
    probe = root / "probe"
    probe.mkdir()
    slices = max(1, round(gigabytes * 1e9 / generate(probe, 1)))
    study = root / "study"
    study.mkdir()
    started = time.perf_counter()
    generate(study, slices)
    write_zip(study, root / "study.zip")
    size = (root / "study.zip").stat().st_size
    print(f"upload study: {slices} slices zipped ({size / 1e9:.2f} GB) in {time.perf_counter() - started:.1f} s")
    result = upload(root / "server", root / "study.zip")
    if result.files != slices:
        raise SystemExit(f"{slices} slices sent, {result.files} attached")
    growth = result.peak_mb - result.before_mb
    print(
        f"upload: {size / 1e9:.2f} GB in {result.files} files, {result.seconds:.1f} s, {size / 1e6 / result.seconds:.1f} MB/s "
        f"(body sent in {result.sent_seconds:.1f} s); app peak RSS before={result.before_mb:.0f} MB during={result.peak_mb:.0f} MB "
        f"(growth {growth:+.0f} MB)"
    )
    print(
        f"app RSS over the upload (MB, every tenth of its time): {' '.join(f'{mb:.0f}' for mb in result.timeline)}; "
        f"when the body was in {result.sent_mb:.0f} MB, after {result.after_mb:.0f} MB"
    )
    print(
        f"before the upload: app RSS {result.started_mb:.0f} MB once started, high-water mark {result.earlier_peak_mb:.0f} MB "
        "(start, sign-in, panel page)"
    )
    print(
        f"then the panel page with the {result.files} files: {result.page_seconds:.1f} s, app peak RSS {result.page_peak_mb:.0f} MB; "
        f"it says {result.flash or 'nothing about attached files'!r}"
    )
    if trace:
        upload(root / "traced", root / "study.zip", trace=True)
        log = (root / "traced" / "server.log").read_text()
        print(log[log.index("tracemalloc POST /panels/") :].split("\n127.0.0.1")[0])
    return result.peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--upload-gb", type=float, default=1.0, help="size of the uploaded study; 0 skips the memory measurement")
    parser.add_argument("--trace", action="store_true", help="upload once more under tracemalloc and print what the request left (slow)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        source = root / "study"
        source.mkdir()
        started = time.perf_counter()
        size = generate(source, args.slices)
        print(f"generated {args.slices} CT slices of {SIZE}x{SIZE} ({size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s")
        times: dict[str, list[float]] = {"plain pydicom": [], "consilium": []}
        sides = [("plain pydicom", plain), ("consilium", consilium)]
        for round_number in range(args.rounds):
            # Each side goes first every other round; the disk is synced before each run and its output removed
            # after it, so neither pays for writing back the other's files.
            for side, run in sides if round_number % 2 == 0 else sides[::-1]:
                target = root / f"{side.replace(' ', '_')}-{round_number}"
                os.sync()
                before = time.perf_counter()
                run(source, target)
                times[side].append(time.perf_counter() - before)
                shutil.rmtree(target)
        speeds = {}
        for side, values in times.items():
            seconds = statistics.median(values)
            speeds[side] = args.slices / seconds
            print(f"{side:14} {args.slices / seconds:7.1f} files/s {size / 1e6 / seconds:7.1f} MB/s (median of {len(values)} rounds)")
    if args.upload_gb > 0:
        peak = measure_upload(args.upload_gb, args.trace)
        print(f"upload_peak_mb={peak:.0f}")
    print(f"deid_ratio={speeds['consilium'] / speeds['plain pydicom']:.2f}")


if __name__ == "__main__":
    main()
