"""DICOM de-identification by PS3.15 Table E.1-1 on pydicom's own sample files (no database, no Flask)."""

import copy
import warnings
from io import BytesIO

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

from app.documents.deidentify import Options
from app.documents.deidentify import Patient
from app.documents.deidentify import action_for
from app.documents.deidentify import deidentify
from app.documents.imaging import header
from app.identifying import Identity
from tests.privacy import canaries

pytestmark = pytest.mark.no_database

SECRET = b"test-secret"
# CT, MR (RLE, JPEG 2000, big endian), multi-frame colour, JPEG-LS, SR, RT plan and dose, a waveform, a
# segmentation, and text in another character set.
REAL_FILES = [
    "CT_small.dcm",
    "MR_small_RLE.dcm",
    "MR_small_jp2klossless.dcm",
    "MR_small_bigendian.dcm",
    "SC_rgb_rle_2frame.dcm",
    "JPEGLSNearLossless_08.dcm",
    "test-SR.dcm",
    "rtplan.dcm",
    "rtdose.dcm",
    "waveform_ecg.dcm",
    "liver_1frame.dcm",
    "GDCMJ2K_TextGBR.dcm",
    "ExplVR_BigEnd.dcm",
]
PATIENT = Patient("ERN-BE10-EuroBloodNet-001", SECRET)


@pytest.fixture
def ct():
    dataset = dcmread(get_testdata_file("CT_small.dcm"))
    dataset.PatientBirthDate = "19760205"
    dataset.StudyDescription = f"CT thorax {dataset.PatientName}"
    dataset.InstitutionName = "University Hospital Leuven"
    dataset.DeviceSerialNumber = "SN-12345"
    dataset.PatientSex = "M"
    nested = Dataset()
    nested.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    nested.ReferencedSOPInstanceUID = "1.2.3.4.5.6.7"
    nested.add_new(0x00110010, "LO", "ACME private creator")
    nested.add_new(0x00111001, "LO", "private nested value")
    dataset.ReferencedImageSequence = Sequence([nested])
    dataset.add_new(0x60003000, "OB", b"\x01\x02")  # overlay data
    dataset.add_new(0x00090010, "LO", "ACME")
    dataset.add_new(0x00091001, "LO", "private value")
    return dataset


def test_the_table_gives_one_action_per_attribute_with_the_options_applied():
    assert action_for(0x00100010, Options()) == "Z"  # Patient's Name
    assert action_for(0x00080020, Options()) == "C"  # Study Date: retain longitudinal, modified dates
    assert action_for(0x00181000, Options()) != "K"  # Device Serial Number
    assert action_for(0x00181000, Options(retain_device_identity=True)) == "K"
    assert action_for(0x00100040, Options(retain_patient_characteristics=True)) == "K"  # Patient's Sex
    assert action_for(0x60003000, Options()) == "X" and action_for(0x60223000, Options()) == "X"  # overlays, any group
    assert action_for(0x00280010, Options()) == "K"  # Rows: not in the table, kept


def test_a_dataset_is_de_identified_at_every_depth_and_marked(ct):
    original_uid, original_study_uid = ct.SOPInstanceUID, ct.StudyInstanceUID
    deidentify(ct, PATIENT, Options())
    assert str(ct.PatientName) == ct.PatientID == PATIENT.cpms_id
    assert not ct.get("PatientBirthDate")
    assert ct.SOPInstanceUID != original_uid and ct.StudyInstanceUID != original_study_uid
    assert ct.file_meta.MediaStorageSOPInstanceUID == ct.SOPInstanceUID
    assert "StudyDescription" not in ct  # a descriptor: removed, as the basic profile says
    assert ct.get("InstitutionName") in (None, "", "ANONYMOUS")
    assert not ct.get("DeviceSerialNumber") or ct.DeviceSerialNumber == "ANONYMOUS"
    assert not ct.get("PatientSex")
    assert 0x60003000 not in ct and not [e for e in ct if e.tag.is_private]
    item = ct.ReferencedImageSequence[0]
    assert item.ReferencedSOPInstanceUID != "1.2.3.4.5.6.7" and not [e for e in item if e.tag.is_private]
    assert ct.PatientIdentityRemoved == "YES" and ct.LongitudinalTemporalInformationModified == "MODIFIED"
    assert [c.CodeValue for c in ct.DeidentificationMethodCodeSequence] == ["113100", "113107"]


def test_dates_shift_by_one_secret_offset_per_patient_and_uids_are_consistent_across_uploads(ct):
    first, second = copy.deepcopy(ct), copy.deepcopy(ct)
    other = copy.deepcopy(ct)
    study_date, series_date = ct.StudyDate, ct.get("SeriesDate")
    deidentify(first, PATIENT, Options())
    deidentify(second, PATIENT, Options())
    deidentify(other, Patient("ERN-CZ08-EuroBloodNet-001", SECRET), Options())
    assert first.StudyInstanceUID == second.StudyInstanceUID != other.StudyInstanceUID
    assert first.StudyDate != study_date and first.StudyDate == second.StudyDate
    if series_date:
        assert first.SeriesDate != series_date  # moved by the same number of days as the study date


def test_options_keep_patient_characteristics_and_device_identity(ct):
    deidentify(ct, PATIENT, Options(retain_patient_characteristics=True, retain_device_identity=True))
    assert ct.PatientSex == "M" and ct.DeviceSerialNumber == "SN-12345"
    assert [c.CodeValue for c in ct.DeidentificationMethodCodeSequence] == ["113100", "113107", "113108", "113109"]


def test_compressed_pixel_data_and_transfer_syntax_survive_a_round_trip():
    dataset = dcmread(get_testdata_file("JPEG2000.dcm"))
    pixels, syntax = dataset.PixelData, dataset.file_meta.TransferSyntaxUID
    deidentify(dataset, PATIENT, Options())
    out = BytesIO()
    dataset.save_as(out, enforce_file_format=True)
    again = dcmread(BytesIO(out.getvalue()))
    assert again.file_meta.TransferSyntaxUID == syntax and again.PixelData == pixels
    assert str(again.PatientName) == PATIENT.cpms_id


def test_descriptors_are_removed_unless_the_ern_chooses_to_clean_them(ct):
    ct.ImageComments, ct.SeriesDescription = "patient born 13/07/1931", "AX T1 post contrast"
    plain, cleaned = copy.deepcopy(ct), copy.deepcopy(ct)
    deidentify(plain, PATIENT, Options())
    assert "ImageComments" not in plain and "SeriesDescription" not in plain and "StudyDescription" not in plain
    deidentify(cleaned, PATIENT, Options(clean_descriptors=True))
    assert cleaned.SeriesDescription == "AX T1 post contrast"  # nothing in it may identify anyone: kept
    assert not cleaned.get("ImageComments") and not cleaned.get("StudyDescription")  # a date, the patient's name: removed whole
    assert "113105" in [c.CodeValue for c in cleaned.DeidentificationMethodCodeSequence]


@pytest.mark.parametrize(
    "text",
    [
        "follow-up of 3 March 2019",
        "seen 2019-03-03",
        "seen 03.03.19",
        "referred in 2019",
        "MRN 4471",
        "ID: AB12345",
        "call 0477 12 34 56",
        "Dr House's patient Vandersnoot",
        "lives in Kesselhoven",
    ],
)
def test_cleaning_removes_a_description_whole_on_any_doubt(ct, text):
    ct.StudyDescription = text
    ct.PatientAddress = "Zwaluwenstraat 12, 3000 Kesselhoven"
    deidentify(ct, Patient(PATIENT.cpms_id, SECRET, Identity(names=("Quillonette", "Vandersnoot"))), Options(clean_descriptors=True))
    assert not ct.get("StudyDescription")


def test_a_kept_attribute_that_holds_the_patients_name_is_emptied(ct):
    ct.Manufacturer = "Vandersnoot private scanner"  # kept by the profile; the record names the patient Vandersnoot
    ct.FilterType = "BODY FILTER"
    deidentify(ct, Patient(PATIENT.cpms_id, SECRET, Identity(names=("Quillonette", "Vandersnoot"))), Options())
    assert not ct.get("Manufacturer") and ct.FilterType == "BODY FILTER"


@pytest.mark.parametrize("clean", [False, True], ids=["basic", "clean-descriptors"])
@pytest.mark.parametrize("name", REAL_FILES)
def test_no_planted_identifying_value_survives_in_any_byte_of_a_real_file(name, clean):
    """The canary patient's values in every text attribute of Table E.1-1 (and the patient module), at the top
    level and two sequence levels down, in pydicom's own files: none in the output bytes nor in the header view."""
    source = dcmread(get_testdata_file(name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some planted values break a VR's rules on purpose (length, repertoire)
        canaries.plant(source)
        planted = BytesIO()
        source.save_as(planted, enforce_file_format=True)
    assert canaries.hits_in_bytes(planted.getvalue())  # the canaries are there before
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tags newer than pydicom's dictionary, read back from implicit VR files
        dataset = dcmread(BytesIO(planted.getvalue()))
        deidentify(dataset, Patient(PATIENT.cpms_id, SECRET), Options(clean_descriptors=clean))  # the file's own values only
        out = BytesIO()
        dataset.save_as(out, enforce_file_format=True)
    assert canaries.hits_in_bytes(out.getvalue()) == []
    out.seek(0)
    shown = " ".join(f"{row['name']} {row.get('value', '')}" for row in header(out))
    assert canaries.hits(shown) == []


@pytest.mark.parametrize("clean", [False, True], ids=["basic", "clean-descriptors"])
def test_every_row_of_the_table_is_applied_alone_at_every_depth(clean):
    """Each attribute of Table E.1-1 on its own, holding a canary at three depths: no canary in the output."""
    left = {}
    for tag in canaries.table_tags():
        dataset = _minimal_image()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            canaries.plant(dataset, tags=[tag])
            planted = BytesIO()
            dataset.save_as(planted, enforce_file_format=True)
            again = dcmread(BytesIO(planted.getvalue()))
            deidentify(again, Patient(PATIENT.cpms_id, SECRET), Options(clean_descriptors=clean))
            out = BytesIO()
            again.save_as(out, enforce_file_format=True)
        if found := canaries.hits_in_bytes(out.getvalue()):
            left[f"{tag:08X}"] = found
    assert left == {}


def test_the_record_finds_the_patient_in_a_file_that_names_them_otherwise(ct):
    """A file whose own patient module is empty still loses a description naming the patient from the record."""
    ct.PatientName, ct.PatientID, ct.PatientBirthDate = "", "", ""
    ct.Manufacturer = f"scanner of Mrs {canaries.LAST_NAME}, born {canaries.BIRTH_DATE:%d %B %Y}"
    identity = Identity(names=(canaries.FIRST_NAME, canaries.LAST_NAME), birth_dates=(canaries.BIRTH_DATE,))
    deidentify(ct, Patient(PATIENT.cpms_id, SECRET, identity), Options())
    assert not ct.get("Manufacturer")


def _minimal_image() -> Dataset:
    dataset = Dataset()
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset.SOPClassUID, dataset.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5"
    dataset.StudyInstanceUID, dataset.SeriesInstanceUID = "1.2.3.4", "1.2.3.4.1"
    dataset.Modality = "CT"
    return dataset
