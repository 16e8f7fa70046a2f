"""`flask dicom deidentify` on the DICOM files pydicom ships: no original identifying value in any output byte."""

import shutil
import warnings
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.data import get_charset_files
from pydicom.data import get_testdata_file

from app.documents import burned_in
from app.documents.deidentify import Patient
from app.documents.services import deidentification_secret
from tests import factories
from tests.privacy import canaries

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
    # Files that may show text in their pixels are held as uploads are: listed, never written.
    complete = {p: dcmread(p) for p in study.rglob("*.dcm") if p.name != "MR_truncated.dcm"}
    held = {p: d for p, d in complete.items() if "SOPClassUID" in d and burned_in.reason(d)}
    assert held and f"{len(held)} file(s) held, not written" in result.output
    assert all(f"held {p}: {burned_in.reason(d)}" in result.output for p, d in held.items())
    expected = {str(d.SOPInstanceUID) for d in complete.values() if "SOPClassUID" in d and not burned_in.reason(d)}
    assert len(written) == len(expected), result.output
    assert "notes.txt: not a readable DICOM file" in result.output
    assert "MR_truncated.dcm: truncated: 8130 of 8192 bytes of pixel data" in result.output
    # Each output against the identifying values of the file it came from (found by its new UID).
    pseudonym = Patient(patient.cpms_id, deidentification_secret(app.config["SECRET_KEY"], app.config["DEIDENTIFICATION_SECRET"]))
    assert not {pseudonym.uid(str(d.SOPInstanceUID)) for d in held.values()} & {path.stem for path in written}
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


@pytest.mark.parametrize("clean", [False, True], ids=["basic", "clean-descriptors"])
def test_planted_identifying_values_leave_no_trace_in_the_bulk_output(app, world, tmp_path, clean):
    """The canary patient's values in every text attribute of Table E.1-1 at three depths, in real files; one file says
    it has burned-in annotation: it is held and listed, the others are written without a trace of the canaries."""
    from app.database import db
    from app.ernsettings.models import ErnSettings

    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    db.session.merge(ErnSettings(ern_id=world.ern.id, clean_descriptors=clean))
    db.session.flush()
    (tmp_path / "in").mkdir()
    for name in ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG-lossy.dcm"):
        dataset = dcmread(get_testdata_file(name))
        dataset.BurnedInAnnotation = "YES" if name == "JPEG-lossy.dcm" else "NO"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            canaries.plant(dataset)
            dataset.save_as(tmp_path / "in" / name, enforce_file_format=True)
    result = _run(app, tmp_path / "in", tmp_path / "out", patient.cpms_id)
    assert result.exit_code == 0, result.output
    written = sorted((tmp_path / "out").rglob("*.dcm"))
    assert len(written) == 3 and "JPEG-lossy.dcm: the file says it has burned-in annotation" in result.output
    for path in written:
        assert canaries.hits_in_bytes(path.read_bytes()) == [], path
