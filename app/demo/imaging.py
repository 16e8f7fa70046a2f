"""Demo images: a small synthetic CT study (a phantom: body, lungs, spine, a lesion) attached through
the real upload path, so the demo shows series, thumbnails and the viewer with nothing real in it."""

from __future__ import annotations

import io

import numpy as np
from pydicom.dataset import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.uid import CTImageStorage
from pydicom.uid import ExplicitVRLittleEndian
from pydicom.uid import generate_uid

from app.accounts.models import User
from app.audit.services import RequestInfo
from app.documents import services as document_services
from app.documents.storage import Storage

SIZE = 128
SLICES = 24
SPACING_MM = 2.5


def phantom_slice(number: int) -> np.ndarray:
    """Hounsfield units of one axial slice: air, soft tissue, two lungs, a vertebra and a lesion in one lung."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    centre = SIZE / 2
    image = np.full((SIZE, SIZE), -1000.0, dtype=np.float32)
    image[((x - centre) / 54) ** 2 + ((y - centre) / 40) ** 2 <= 1] = 40
    for side in (-1, 1):
        image[((x - centre - side * 24) / 18) ** 2 + ((y - centre + 2) / 26) ** 2 <= 1] = -850
    image[(x - centre) ** 2 + (y - centre - 28) ** 2 <= 36] = 700
    if SLICES // 3 <= number <= SLICES // 2:
        image[(x - centre - 28) ** 2 + (y - centre + 4) ** 2 <= 16] = 30
    return image


def study_files() -> list[tuple[str, bytes]]:
    """The phantom as DICOM files, with a made-up name that de-identification replaces."""
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    files = []
    for number in range(1, SLICES + 1):
        dataset = Dataset()
        dataset.file_meta = FileMetaDataset()
        dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        dataset.SOPClassUID, dataset.SOPInstanceUID = CTImageStorage, generate_uid()
        dataset.StudyInstanceUID, dataset.SeriesInstanceUID, dataset.FrameOfReferenceUID = study, series, frame
        dataset.PatientName, dataset.PatientID = "Example^Jane", "DEMO-0001"
        dataset.StudyDate = dataset.SeriesDate = "20260301"
        dataset.Modality, dataset.SeriesDescription, dataset.BodyPartExamined = "CT", "Thorax phantom", "CHEST"
        dataset.SeriesNumber, dataset.InstanceNumber = 1, number
        dataset.ImagePositionPatient = [0.0, 0.0, number * SPACING_MM]
        dataset.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        dataset.PixelSpacing, dataset.SliceThickness = [SPACING_MM, SPACING_MM], SPACING_MM
        dataset.SamplesPerPixel, dataset.PhotometricInterpretation = 1, "MONOCHROME2"
        dataset.Rows = dataset.Columns = SIZE
        dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit, dataset.PixelRepresentation = 16, 16, 15, 1
        dataset.RescaleIntercept, dataset.RescaleSlope = 0, 1
        dataset.WindowCenter, dataset.WindowWidth = 40, 400
        dataset.PixelData = phantom_slice(number).astype(np.int16).tobytes()
        out = io.BytesIO()
        dataset.save_as(out, enforce_file_format=True)
        files.append((f"IM{number:04d}.dcm", out.getvalue()))
    return files


def attach_phantom(actor: User, panel_id: int, storage: Storage, limit: int) -> None:
    """Step (flushes only): attach the phantom study to a panel as ``actor``, through the upload path."""
    where, origin = document_services.Where(panel_id=panel_id), RequestInfo("127.0.0.1", "demo")
    for name, data in study_files():
        document_services.attach_step(actor, where, io.BytesIO(data), name, "document", storage, limit, origin)
