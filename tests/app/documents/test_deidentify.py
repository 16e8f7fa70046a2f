"""DICOM de-identification by PS3.15 Table E.1-1 on pydicom's own sample files (no database, no Flask)."""

import copy
from io import BytesIO

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from app.documents.deidentify import Options
from app.documents.deidentify import Patient
from app.documents.deidentify import action_for
from app.documents.deidentify import deidentify

SECRET = b"test-secret"
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
    assert "CT thorax" in ct.StudyDescription and "CompressedSamples" not in ct.StudyDescription
    assert ct.get("InstitutionName") in (None, "", "ANONYMOUS")
    assert not ct.get("DeviceSerialNumber") or ct.DeviceSerialNumber == "ANONYMOUS"
    assert not ct.get("PatientSex")
    assert 0x60003000 not in ct and not [e for e in ct if e.tag.is_private]
    item = ct.ReferencedImageSequence[0]
    assert item.ReferencedSOPInstanceUID != "1.2.3.4.5.6.7" and not [e for e in item if e.tag.is_private]
    assert ct.PatientIdentityRemoved == "YES" and ct.LongitudinalTemporalInformationModified == "MODIFIED"
    assert [c.CodeValue for c in ct.DeidentificationMethodCodeSequence] == ["113100", "113107", "113105"]


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
    assert [c.CodeValue for c in ct.DeidentificationMethodCodeSequence] == ["113100", "113107", "113105", "113108", "113109"]


def test_compressed_pixel_data_and_transfer_syntax_survive_a_round_trip():
    dataset = dcmread(get_testdata_file("JPEG2000.dcm"))
    pixels, syntax = dataset.PixelData, dataset.file_meta.TransferSyntaxUID
    deidentify(dataset, PATIENT, Options())
    out = BytesIO()
    dataset.save_as(out, enforce_file_format=True)
    again = dcmread(BytesIO(out.getvalue()))
    assert again.file_meta.TransferSyntaxUID == syntax and again.PixelData == pixels
    assert str(again.PatientName) == PATIENT.cpms_id
