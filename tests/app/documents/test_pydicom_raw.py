"""What app/documents/pydicom_raw.py relies on in pydicom's private names: each test fails, naming it, if an upgrade changes that."""

import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

import pydicom
import pytest
from packaging.requirements import Requirement
from pydicom import dcmread
from pydicom import dcmwrite
from pydicom.charset import default_encoding
from pydicom.data import get_testdata_file
from pydicom.dataelem import DataElement
from pydicom.dataelem import RawDataElement
from pydicom.dataelem import convert_raw_data_element
from pydicom.dataset import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag
from pydicom.uid import ExplicitVRLittleEndian
from pydicom.uid import ImplicitVRLittleEndian
from pydicom.values import convert_value

from app.documents import pydicom_raw

pytestmark = pytest.mark.no_database

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"
PATIENT_NAME, INSTITUTION_NAME, REFERENCED_IMAGES, CODE_MEANING = 0x00100010, 0x00080080, 0x00081140, 0x00080104
SPECIFIC_CHARACTER_SET = 0x00080005
SYNTAXES = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]


@contextmanager
def relied_upon(what: str) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        pytest.fail(
            f"pydicom {pydicom.__version__}: app/documents/pydicom_raw.py relies on {what}, which no longer holds "
            f"({type(error).__name__}: {error}). Adapt that module (and its pin) before upgrading pydicom."
        )


def written(dataset: Dataset) -> Dataset:
    """``dataset`` written in its own form and read back, its elements raw as read."""
    buffer = BytesIO()
    dcmwrite(buffer, dataset, enforce_file_format=True)
    buffer.seek(0)
    return dcmread(buffer)


def file(syntax: str, charset: str | list[str] | None = None) -> Dataset:
    dataset = Dataset()
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = syntax
    dataset.file_meta.MediaStorageSOPClassUID, dataset.file_meta.MediaStorageSOPInstanceUID = "1.2.3", "1.2.3.4"
    if charset is not None:
        dataset.SpecificCharacterSet = charset
    dataset.PatientName = "Müller^Jürgen" if charset else "Muller^Jurgen"
    dataset.InstitutionName = "Hospital"
    item = Dataset()
    item.CodeMeaning = "Größe" if charset else "Size"
    dataset.ReferencedImageSequence = Sequence([item])
    return written(dataset)


def test_pyproject_pins_the_pydicom_range_the_adapter_was_written_for():
    pins = [pin for pin in tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"] if Requirement(pin).name == "pydicom"]
    with relied_upon(f"the pin {pydicom_raw.PYDICOM_PIN} (pyproject.toml: {pins})"):
        assert pins == [pydicom_raw.PYDICOM_PIN]
        assert Requirement(pydicom_raw.PYDICOM_PIN).specifier.contains(pydicom.__version__)


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small_bigendian.dcm", "rtplan.dcm"])
def test_a_read_file_keeps_its_elements_raw_in_a_dict_keyed_by_base_tag(name):
    dataset = dcmread(get_testdata_file(name))
    with relied_upon("Dataset._dict holding the elements of a read file as RawDataElements, keyed by BaseTag"):
        elements = pydicom_raw.elements(dataset)
        assert list(elements) == list(dataset.keys())
        assert all(type(tag) is BaseTag for tag in elements)
        raw = [tag for tag, element in elements.items() if type(element) is RawDataElement and element.is_raw]
        assert raw == [tag for tag in elements if tag != SPECIFIC_CHARACTER_SET]  # which dcmread decodes


def test_the_dict_is_the_one_the_dataset_reads_decodes_into_and_deletes_from():
    dataset = file(ExplicitVRLittleEndian)
    with relied_upon("Dataset._dict being the mapping the Dataset itself reads, decodes into and deletes from"):
        elements = pydicom_raw.elements(dataset)
        decoded = dataset[PATIENT_NAME]
        assert elements[BaseTag(PATIENT_NAME)] is decoded and not decoded.is_raw
        elements[BaseTag(INSTITUTION_NAME)] = DataElement(INSTITUTION_NAME, "LO", "Elsewhere")
        assert dataset.InstitutionName == "Elsewhere"
        del dataset[INSTITUTION_NAME]
        assert BaseTag(INSTITUTION_NAME) not in elements


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_a_replaced_raw_element_is_written_as_its_bytes_without_being_decoded(syntax):
    dataset = file(syntax)
    with relied_upon("RawDataElement._replace(length=, value=) and dcmwrite writing a raw element's bytes as they are"):
        elements = pydicom_raw.elements(dataset)
        replaced = pydicom_raw.replace_raw(elements[BaseTag(INSTITUTION_NAME)], b"ELSEWHERE ")
        assert type(replaced) is RawDataElement and replaced.length == 10 and replaced.value == b"ELSEWHERE "
        elements[BaseTag(INSTITUTION_NAME)] = replaced
        emptied = pydicom_raw.replace_raw(elements[BaseTag(PATIENT_NAME)], b"")
        elements[BaseTag(PATIENT_NAME)] = emptied
        again = written(dataset)
        assert elements[BaseTag(INSTITUTION_NAME)] is replaced and elements[BaseTag(PATIENT_NAME)] is emptied  # not decoded to write
        assert again.InstitutionName == "ELSEWHERE" and again.PatientName == ""


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_a_stored_raw_element_is_written_as_its_bytes(syntax):
    dataset = file(syntax)
    implicit = syntax == ImplicitVRLittleEndian
    with relied_upon("RawDataElement(tag, VR, length, value, value_tell, is_implicit_VR, is_little_endian) written as its bytes"):
        assert RawDataElement._fields[:7] == ("tag", "VR", "length", "value", "value_tell", "is_implicit_VR", "is_little_endian")
        pydicom_raw.store_raw(dataset, 0x00120062, "CS", b"YES ", (implicit, True))
        stored = pydicom_raw.elements(dataset)[BaseTag(0x00120062)]
        assert type(stored) is RawDataElement and stored.is_raw
        assert written(dataset).PatientIdentityRemoved == "YES"


def test_character_set_has_the_shapes_the_adapter_compares():
    with relied_upon("Dataset._character_set: 'iso8859' without a Specific Character Set, else a list of Python encodings"):
        assert pydicom_raw.character_set(Dataset()) == default_encoding == "iso8859"
        assert pydicom_raw.character_set(file(ExplicitVRLittleEndian)) == "iso8859"
        assert pydicom_raw.character_set(file(ExplicitVRLittleEndian, "ISO_IR 100")) == ["latin_1"]
        assert pydicom_raw.character_set(file(ExplicitVRLittleEndian, ["", "ISO 2022 IR 100"])) == ["iso8859", "latin_1"]


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize(("charset", "expected"), [(None, ["iso8859"]), ("ISO_IR 100", ["latin_1"])])
def test_a_sequence_item_takes_its_parents_character_set(syntax, charset, expected):
    dataset = file(syntax, charset)
    raw = pydicom_raw.elements(dataset)[BaseTag(REFERENCED_IMAGES)]
    with relied_upon("Dataset._character_set of a sequence item decoded by convert_raw_data_element being its parent's"):
        item = convert_raw_data_element(raw, encoding=pydicom_raw.decoding_character_set(dataset), ds=dataset).value[0]
        assert pydicom_raw.character_set(item) == expected
        assert type(pydicom_raw.elements(item)[BaseTag(CODE_MEANING)]) is RawDataElement


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("charset", [None, "ISO_IR 100", "ISO_IR 192"])
def test_the_decoding_character_set_decodes_as_the_dataset_does(syntax, charset):
    dataset = file(syntax, charset)
    raw = pydicom_raw.elements(dataset)[BaseTag(PATIENT_NAME)]
    with relied_upon("Dataset.original_character_set or Dataset._character_set being what dataset[tag] decodes with"):
        assert convert_value("PN", raw, pydicom_raw.decoding_character_set(dataset)) == dataset.PatientName
