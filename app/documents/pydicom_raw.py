"""The only place that uses pydicom's private names: raw (undecoded) elements as a file was read, for speed.

De-identification touches every element of every file, and pydicom's public access (iteration, ``dataset[tag]``,
``walk``) decodes each element it touches, then re-encodes it on writing. On the CT slices of benchmarks/dicom_bench.py
(pydicom 3.0.2), reading and writing a file takes 1.4 ms, decoding its elements adds 1.5 ms, and de-identifying it
raw (elements read where the Dataset keeps them, new values stored as raw bytes that ``dcmwrite`` copies) adds 0.5 ms:
``deid_ratio`` 0.70-0.80 instead of below 0.48 before any de-identification work.

Written for pydicom 3.0 (``PYDICOM_PIN``, the pin in pyproject.toml); tests/app/documents/test_pydicom_raw.py
fails, naming this module, if an upgrade changes what is relied upon here.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from collections.abc import MutableSequence

from pydicom.dataelem import DataElement
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

PYDICOM_PIN = "pydicom~=3.0"


def elements(dataset: Dataset) -> MutableMapping[BaseTag, DataElement | RawDataElement]:
    """The dataset's own mapping of tag → element: raw elements stay raw when read, and what is stored is kept as is."""
    return dataset._dict


def character_set(dataset: Dataset) -> str | list[str]:
    """The Python encodings of the dataset's Specific Character Set, or its parent's for a sequence item."""
    return dataset._character_set


def decoding_character_set(dataset: Dataset) -> str | MutableSequence[str]:
    """The character set ``dataset[tag]`` decodes a raw element with."""
    return dataset.original_character_set or dataset._character_set


def replace_raw(raw: RawDataElement, value: bytes) -> RawDataElement:
    """``raw`` with ``value`` as its bytes, written as they are."""
    return raw._replace(length=len(value), value=value)


def store_raw(dataset: Dataset, tag: int, vr: str, value: bytes, encoding: tuple[bool, bool]) -> None:
    """Store ``value``, already encoded as (implicit VR, little endian), as a raw element written as it is."""
    dataset._dict[BaseTag(tag)] = RawDataElement(BaseTag(tag), vr, len(value), value, 0, *encoding)
