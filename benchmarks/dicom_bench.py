"""DICOM de-identification benchmark: Consilium's de-identification against plain pydicom read + write.

Generates a CT study (default 300 slices of 512×512, 16-bit, with identifying attributes, a
private block and a nested sequence), then, alternating rounds so that machine noise falls on both:
(a) reads and writes every file with pydicom, (b) de-identifies every file the way
`flask dicom deidentify` does (same code path). Prints files per second and MB per second of each
and, on the last line, deid_ratio = speed of (b) / speed of (a) (target ≥ 0.7).

    python benchmarks/dicom_bench.py [--slices 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydicom import dcmread  # noqa: E402
from pydicom.dataset import Dataset  # noqa: E402
from pydicom.dataset import FileMetaDataset  # noqa: E402
from pydicom.sequence import Sequence  # noqa: E402
from pydicom.uid import CTImageStorage  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian  # noqa: E402
from pydicom.uid import generate_uid  # noqa: E402

from app.documents.deidentify import Options  # noqa: E402
from app.documents.deidentify import Patient  # noqa: E402
from app.documents.dicom_files import deidentify_folder  # noqa: E402

SIZE = 512


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
    patient = Patient("ERN-BE10-EuroBloodNet-001", b"benchmark-secret", ("Addel^Roger", "Addel", "Roger"))
    summary = deidentify_folder(source, target, patient, Options())
    if summary.skipped:
        raise SystemExit(f"unexpected skips: {summary.skipped[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        source = root / "study"
        source.mkdir()
        started = time.perf_counter()
        size = generate(source, args.slices)
        print(f"generated {args.slices} CT slices of {SIZE}x{SIZE} ({size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s")
        times: dict[str, list[float]] = {"plain pydicom": [], "consilium": []}
        for round_number in range(args.rounds):
            for side, run in (("plain pydicom", plain), ("consilium", consilium)):
                before = time.perf_counter()
                run(source, root / f"{side.replace(' ', '_')}-{round_number}")
                times[side].append(time.perf_counter() - before)
        speeds = {}
        for side, values in times.items():
            seconds = statistics.median(values)
            speeds[side] = args.slices / seconds
            print(f"{side:14} {args.slices / seconds:7.1f} files/s {size / 1e6 / seconds:7.1f} MB/s (median of {len(values)} rounds)")
        print("streamed 1 GB upload peak memory: not measured yet (uploads are read per file; see issue 6)")
        print(f"deid_ratio={speeds['consilium'] / speeds['plain pydicom']:.2f}")


if __name__ == "__main__":
    main()
