"""Pictures of de-identified DICOM files for the browser: frames with a window, thumbnails, the header.

Frames are rendered on the server (pydicom decodes, with the pylibjpeg/JPEG-LS plugins for
compressed transfer syntaxes; numpy windows; Pillow writes PNG), so the browser needs no plug-in,
no codec and no CSP exception. Only de-identified copies are ever stored, so only they are rendered.
No Flask here.
"""

from __future__ import annotations

import io
import math
import warnings
from typing import Any
from typing import BinaryIO

import numpy as np
from PIL import Image
from pydicom import dcmread
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue
from pydicom.pixels import apply_rescale
from pydicom.pixels import pixel_array

THUMBNAIL = 128
LARGEST_WINDOW = 1_000_000.0
BULK_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "UN"}

# Window presets (centre, width) in Hounsfield units for CT.
CT_PRESETS = {"brain": (40, 80), "lung": (-600, 1500), "bone": (400, 1800), "abdomen": (50, 400)}


DECODE_FAILURES = (InvalidDicomError, ValueError, RuntimeError, NotImplementedError, AttributeError, KeyError, EOFError, OSError)


class CannotRender(Exception):
    """The pixels cannot be decoded (no codec for the transfer syntax, damaged data): a message, not a 500."""


def facts(dataset: Dataset) -> dict[str, Any] | None:
    """What the viewer needs to know about an image without opening it again (None: not an image)."""
    if "PixelData" not in dataset or not dataset.get("Rows") or not dataset.get("Columns"):
        return None
    spacing = dataset.get("PixelSpacing") or dataset.get("ImagerPixelSpacing")
    colour = int(dataset.get("SamplesPerPixel", 1)) > 1
    window = _first_window(dataset) or (None if colour else _range_window(dataset))
    return {
        "rows": int(dataset.Rows),
        "columns": int(dataset.Columns),
        "frames": max(1, int(dataset.get("NumberOfFrames") or 1)),
        "spacing": [float(spacing[0]), float(spacing[1])] if spacing and len(spacing) == 2 else None,
        "colour": colour,
        "modality": str(dataset.get("Modality", "")),
        "window": list(window) if window else None,
        "position": _position(dataset),
    }


def _first_window(dataset: Dataset) -> tuple[float, float] | None:
    centre, width = _first(dataset.get("WindowCenter")), _first(dataset.get("WindowWidth"))
    if centre is None or width is None:
        return None
    try:
        values = float(centre), float(width)
    except (TypeError, ValueError):
        return None
    return values if all(math.isfinite(v) for v in values) and values[1] > 0 else None


def _range_window(dataset: Dataset) -> tuple[float, float] | None:
    """A window spanning the middle frame's values, for files that name none (None if the pixels do not decode)."""
    frames = max(1, int(dataset.get("NumberOfFrames") or 1))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = apply_rescale(pixel_array(dataset, index=frames // 2 if frames > 1 else None), dataset)
    except DECODE_FAILURES:  # the viewer then uses each frame's own range
        return None
    low, high = float(values.min()), float(values.max())
    return ((low + high) / 2, max(high - low, 1.0)) if math.isfinite(low) and math.isfinite(high) else None


def _first(value: Any) -> Any:
    """The first of several values (a file may offer several windows), or the value itself."""
    if isinstance(value, MultiValue | list | tuple):
        return value[0] if len(value) else None
    return value


def _position(dataset: Dataset) -> float | None:
    """Where the slice lies along the patient axis, to order a series in space when instance numbers do not."""
    position = dataset.get("ImagePositionPatient")
    if position and len(position) == 3:
        return float(position[2])
    location = dataset.get("SliceLocation")
    return float(location) if location is not None else None


def window(centre: str | None, width: str | None) -> tuple[float, float] | None:
    """A window asked for in a URL, bounded; None when not given or not sensible."""
    try:
        values = float(centre or ""), float(width or "")
    except ValueError:
        return None
    if not all(math.isfinite(v) and abs(v) <= LARGEST_WINDOW for v in values) or values[1] <= 0:
        return None
    return values


def render_frame(source: BinaryIO, frame: int, chosen: tuple[float, float] | None, largest: int | None = None) -> bytes:
    """One frame as PNG: monochrome images windowed (the chosen window, else the file's, else the frame's range)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = dcmread(source, stop_before_pixels=False)
            frames = max(1, int(dataset.get("NumberOfFrames") or 1))
            if not 0 <= frame < frames:
                raise CannotRender(f"there is no frame {frame + 1} (the image has {frames})")
            pixels = pixel_array(dataset, index=frame if frames > 1 else None)
    except CannotRender:
        raise
    except DECODE_FAILURES as error:
        raise CannotRender(_decode_problem(error)) from None
    if int(dataset.get("SamplesPerPixel", 1)) > 1:
        picture = Image.fromarray(pixels if pixels.dtype == np.uint8 else _windowed(pixels.astype(np.float32), None), "RGB")
    else:
        values = apply_rescale(pixels, dataset).astype(np.float32)
        picture = Image.fromarray(_windowed(values, chosen or _first_window(dataset)), "L")
        if str(dataset.get("PhotometricInterpretation", "")) == "MONOCHROME1":
            picture = Image.eval(picture, lambda value: 255 - value)
    if largest:
        picture.thumbnail((largest, largest))
    out = io.BytesIO()
    picture.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _decode_problem(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if "plugin" in str(error).lower() or "decode" in str(error).lower():
        return "this image's compression cannot be decoded here"
    return text[:200]


def _windowed(values: np.ndarray, chosen: tuple[float, float] | None) -> np.ndarray:
    if chosen is None:
        low, high = float(values.min()), float(values.max())
    else:
        low, high = chosen[0] - chosen[1] / 2, chosen[0] + chosen[1] / 2
    if high <= low:
        high = low + 1
    scaled = (values - low) * (255.0 / (high - low))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def header(source: BinaryIO) -> list[dict[str, Any]]:
    """The (de-identified) header as rows to show: depth, tag, name, VR, value; bulk data summarised."""
    rows: list[dict[str, Any]] = []
    with warnings.catch_warnings():  # values are decoded as the rows are made: odd ones are shown, not logged
        warnings.simplefilter("ignore")
        dataset = dcmread(source, stop_before_pixels=True)
        _header_rows(dataset.file_meta, 0, rows)
        _header_rows(dataset, 0, rows)
    return rows


def _header_rows(dataset: Dataset, depth: int, rows: list[dict[str, Any]]) -> None:
    for element in dataset:
        rows.append({"depth": depth, "tag": f"({element.tag.group:04X},{element.tag.element:04X})", "name": element.name, "vr": element.VR})
        if element.VR == "SQ":
            rows[-1]["value"] = f"{len(element.value)} item(s)"
            for item in element.value:
                _header_rows(item, depth + 1, rows)
        else:
            rows[-1]["value"] = _value(element)


def _value(element: DataElement) -> str:
    if element.VR in BULK_VRS:
        length = len(element.value) if element.value is not None else 0
        return f"(binary data, {length} bytes)"
    try:
        text = str(element.value) if element.value is not None else ""
    except (ValueError, TypeError):
        text = "(unreadable value)"
    return text if len(text) <= 200 else text[:199] + "…"
