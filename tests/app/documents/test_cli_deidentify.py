"""`flask dicom deidentify` on the DICOM files pydicom ships: no original identifying value in any output byte."""

import shutil
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.data import get_charset_files
from pydicom.data import get_testdata_file

from app.documents.deidentify import Patient
from app.documents.services import deidentification_secret
from tests import factories

# CT, MR (plain, RLE, JPEG 2000, big endian), multi-frame RLE, JPEG, JPEG-LS, SR, RT, private and
# nested private sequences, a waveform and non-ASCII character sets (with the pydicom-data download
# unavailable here, only the files pydicom itself ships).
FILES = [
    "CT_small.dcm",
    "MR_small.dcm",
    "MR_small_RLE.dcm",
    "MR_small_jp2klossless.dcm",
    "MR_small_bigendian.dcm",
    "SC_rgb_rle_2frame.dcm",
    "JPEG-lossy.dcm",
    "JPEGLSNearLossless_08.dcm",
    "test-SR.dcm",
    "reportsi.dcm",
    "rtplan.dcm",
    "nested_priv_SQ.dcm",
    "priv_SQ.dcm",
    "waveform_ecg.dcm",
    "GDCMJ2K_TextGBR.dcm",
    "liver_1frame.dcm",
]
# Names and texts in other character sets (Arabic, French, Greek, Hebrew, Japanese, Korean, Russian,
# Chinese), from the charset files pydicom ships.
CHARSET_FILES = [
    "chrArab.dcm",
    "chrFren.dcm",
    "chrGreek.dcm",
    "chrHbrw.dcm",
    "chrJapMulti.dcm",
    "chrKoreanMulti.dcm",
    "chrRuss.dcm",
    "chrX1.dcm",
]
UID_KEYWORDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID")
IDENTIFYING = ("PatientID", "PatientBirthDate", "OtherPatientIDs", "AccessionNumber", "InstitutionName", "ReferringPhysicianName")


@pytest.fixture
def study(tmp_path):
    """The package files in nested folders, as a study copied from a hospital system."""
    source = tmp_path / "in"
    for number, name in enumerate(FILES):
        folder = source / f"series{number % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(get_testdata_file(name), folder / name)
    for name in CHARSET_FILES:
        (source / "charsets").mkdir(exist_ok=True)
        shutil.copy(get_charset_files(name)[0], source / "charsets" / name)
    (source / "notes.txt").write_text("not a DICOM file")
    (source / "MR_truncated.dcm").write_bytes(Path(get_testdata_file("MR_truncated.dcm")).read_bytes())
    return source


def _identifying_values(path):
    dataset = dcmread(path)
    values = set()
    name = dataset.get("PatientName")
    if name:
        values |= {part for part in str(name).replace("^", " ").split() if len(part) > 3}
        original = getattr(name, "original_string", b"")
        if isinstance(original, bytes) and len(original) > 3:
            values.add(original)
    kept = {str(dataset.get(k, "")) for k in ("Manufacturer", "ManufacturerModelName")}  # device data the standard keeps
    for keyword in IDENTIFYING:
        value = dataset.get(keyword)
        if value and len(str(value)) > 3 and not any(str(value) in device for device in kept):
            values.add(str(value))
    for keyword in UID_KEYWORDS:
        if dataset.get(keyword):
            values.add(str(dataset.get(keyword)))
    return values


def _run(app, source, target, cpms_id):
    return app.test_cli_runner().invoke(args=["dicom", "deidentify", str(source), str(target), "--patient", cpms_id])


def test_no_original_identifying_value_is_left_in_any_output_byte(app, world, study, tmp_path):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    result = _run(app, study, tmp_path / "out", patient.cpms_id)
    assert result.exit_code == 0, result.output
    written = sorted((tmp_path / "out").rglob("*.dcm"))
    # Files of one instance in several transfer syntaxes share their SOP Instance UID (and output
    # name); files without the file meta a DICOM file needs are reported, not copied.
    complete = [dcmread(p) for p in study.rglob("*.dcm") if p.name != "MR_truncated.dcm"]
    assert len(written) == len({str(d.SOPInstanceUID) for d in complete if "SOPClassUID" in d}), result.output
    assert "notes.txt: not a readable DICOM file" in result.output
    assert "MR_truncated.dcm: truncated: 8130 of 8192 bytes of pixel data" in result.output
    # Each output against the identifying values of the file it came from (found by its new UID).
    pseudonym = Patient(patient.cpms_id, deidentification_secret(app.config["SECRET_KEY"], app.config["DEIDENTIFICATION_SECRET"]))
    sources = {pseudonym.uid(str(d.SOPInstanceUID)): p for p, d in ((p, dcmread(p)) for p in study.rglob("*.dcm")) if "SOPClassUID" in d}
    for path in written:
        originals = set().union(*(_identifying_values(s) for uid, s in sources.items() if uid == path.stem))
        assert originals, path.name
        data = path.read_bytes()
        left = [value for value in originals if (value if isinstance(value, bytes) else value.encode()) in data]
        assert left == [], (path.name, left)
        dataset = dcmread(path)
        assert str(dataset.PatientName) == dataset.PatientID == patient.cpms_id and dataset.PatientIdentityRemoved == "YES"
        assert path.name == f"{dataset.SOPInstanceUID}.dcm"  # named by the new UID, never the original file name


def test_uids_are_the_same_in_two_separate_runs_for_the_same_patient(app, world, study, tmp_path):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    _run(app, study, tmp_path / "first", patient.cpms_id)
    _run(app, study, tmp_path / "second", patient.cpms_id)
    first = sorted(p.relative_to(tmp_path / "first") for p in (tmp_path / "first").rglob("*.dcm"))
    second = sorted(p.relative_to(tmp_path / "second") for p in (tmp_path / "second").rglob("*.dcm"))
    assert first and first == second


def test_an_unknown_patient_is_refused_with_a_message(app, world, study, tmp_path):
    result = _run(app, study, tmp_path / "out", "ERN-XX00-Nowhere-001")
    assert result.exit_code != 0 and "No patient has the CPMS ID ERN-XX00-Nowhere-001" in result.output
    assert not (tmp_path / "out").exists()


def test_a_file_with_a_damaged_value_representation_is_reported_not_a_crash(app, world, tmp_path):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    (tmp_path / "in").mkdir()
    shutil.copy(get_testdata_file("badVR.dcm"), tmp_path / "in" / "badVR.dcm")
    result = _run(app, tmp_path / "in", tmp_path / "out", patient.cpms_id)
    assert result.exit_code == 0 and "badVR.dcm: could not be de-identified" in result.output
