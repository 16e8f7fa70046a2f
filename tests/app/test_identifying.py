"""Finding a patient in free text: their names, birth date in any spelling and identifiers, and for text that must hold none,
any date or identifier at all."""

import re
from datetime import date

import pytest

from app.identifying import BIRTH_DATE
from app.identifying import NAME
from app.identifying import OTHER
from app.identifying import Identity
from app.identifying import any_date
from app.identifying import birth_date_pattern
from app.identifying import doubtful
from app.identifying import identifier_like
from app.identifying import mentions_patient
from app.identifying import what_identifies
from app.text import fold

pytestmark = pytest.mark.no_database

BIRTH = date(1931, 7, 13)
PATIENT = Identity(
    names=("Anna Li", "van der Berg-Müller"),
    birth_dates=(BIRTH,),
    others=("+32 16 55 01 77", "MRN 4471829 Gasthuisberg"),
)
NOBODY = Identity()


@pytest.mark.parametrize(
    "text",
    [
        "born 13/07/1931",
        "DOB 13.7.31",
        "1931-07-13",
        "19310713",
        "13 July 1931",
        "13 juillet 1931",
        "née le 13 juil. 1931",
        "13. července 1931",
        "13 lipca 1931",
        "Jul 13, 1931",
        "7/13/1931",
        "13/07/31",
        "1931/7/13",
        "１３/０７/１９３１",
    ],
)
def test_the_birth_date_is_found_in_any_spelling(text):
    assert mentions_patient(text, PATIENT)
    assert what_identifies(text, PATIENT) == BIRTH_DATE
    assert re.search(birth_date_pattern(BIRTH), fold(text))


@pytest.mark.parametrize("text", ["13-VII-1931", "ur. 13.VII.1931"])
def test_the_birth_date_is_found_with_the_month_in_roman_numerals(text):
    """Polish, Czech, Hungarian and Romanian letters write the month so; the locales are among the ERNs' languages."""
    assert what_identifies(text, PATIENT) == BIRTH_DATE


@pytest.mark.parametrize("text", ["113/07/19312", "ref 2213.07.1931", "1931071344", "order 13/07/19310", "913 July 1931"])
def test_the_birth_date_inside_a_longer_number_is_not_the_birth_date(text):
    assert not re.search(birth_date_pattern(BIRTH), text)
    assert what_identifies(text, PATIENT) == ""


def test_a_day_or_month_below_ten_is_found_with_or_without_its_leading_zero():
    pattern = re.compile(birth_date_pattern(date(1976, 2, 5)))
    for text in ("05/02/1976", "5/2/1976", "5.2.76", "1976-02-05", "5 février 1976", "05 Feb 1976"):
        assert pattern.search(fold(text)), text
    assert not pattern.search("15/02/1976") and not pattern.search("05/12/1976")


@pytest.mark.parametrize("text", ["Mrs MÜLLER was seen", "müller", "muller", "Dr. Berg", "ANNA", "li", "Ms Li's results", "Berg-Muller"])
def test_a_name_part_is_found_whatever_its_case_and_accents(text):
    assert mentions_patient(text, PATIENT)
    assert what_identifies(text, PATIENT) == NAME


@pytest.mark.parametrize("text", ["Liver biopsy", "Lithium level", "Bergmann", "Mullerian duct", "Annals", "Cholangitis"])
def test_a_name_part_matches_only_as_a_whole_word(text):
    assert not mentions_patient(text, PATIENT)


@pytest.mark.parametrize("text", ["van", "de la", "der", "see van Gogh", "Van der Waals forces"])
def test_a_particle_of_a_name_alone_says_nothing_of_who(text):
    assert not mentions_patient(text, PATIENT)


@pytest.mark.parametrize("text", ["+32 16 55 01 77", "016550177", "016 55 01 77", "016-55-01-77", "0032 16 55 01 77", "016/55.01.77"])
def test_the_phone_number_is_found_however_it_is_written(text):
    assert what_identifies(text, PATIENT) == OTHER


def test_the_phone_number_is_found_with_the_area_code_in_brackets():
    """The usual way to write a Belgian landline."""
    assert what_identifies("Tel. (016) 55 01 77", PATIENT) == OTHER


@pytest.mark.parametrize("text", ["MRN 4471829", "4471829", "seen at gasthuisberg", "GASTHUISBERG"])
def test_the_record_labels_words_and_number_are_found(text):
    assert what_identifies(text, PATIENT) == OTHER


@pytest.mark.parametrize(
    "text", ["CT thorax 5 mm", "Lead aVL", "Whole Body Bone", "MR brain T2 FLAIR", "Series 3", "Field 1", "5/5mm Plain"]
)
def test_harmless_clinical_text_does_not_mention_the_patient(text):
    assert not mentions_patient(text, PATIENT)
    assert what_identifies(text, PATIENT) == ""


def test_a_patient_with_nothing_known_is_mentioned_by_no_text():
    assert not mentions_patient("Anna Li, 13/07/1931, MRN 4471829", NOBODY)
    assert what_identifies("Anna Li, 13/07/1931", NOBODY) == ""


def test_what_identifies_names_the_first_kind_of_value_found():
    assert what_identifies("Li, born 13/07/1931", PATIENT) == NAME
    assert what_identifies("born 13/07/1931, MRN 4471829", PATIENT) == BIRTH_DATE


@pytest.mark.parametrize(
    "text",
    [
        "seen on 02/03/2024",
        "2024-03-02",
        "20240302",
        "3 mars 2024",
        "March 3",
        "in 1987",
        "MRN 12",
        "ID: 42",
        "Nr. 7",
        "N° 18",
        "# 455",
        "12345",
        "12 345 67",
        "AB1234",
        "S123X",
    ],
)
def test_doubtful_flags_any_date_a_year_and_anything_shaped_like_an_identifier(text):
    assert doubtful(text, NOBODY)


@pytest.mark.parametrize(
    "text", ["5/5mm Plain", "Field 1", "CT thorax 5 mm", "Lead aVL", "Whole Body Bone", "T2 FLAIR", "Axial T1 post", "Series 3"]
)
def test_doubtful_leaves_plain_clinical_labels_alone(text):
    assert not doubtful(text, NOBODY)


def test_doubtful_flags_the_patients_own_values_though_they_look_like_nothing_else():
    assert doubtful("Whole Body Bone, Mrs Müller", PATIENT)
    assert not doubtful("Whole Body Bone", PATIENT)


def test_any_date_does_not_take_a_number_in_a_longer_number_for_a_date():
    assert not any_date().search("lot 3199945")
    assert not any_date().search("112/05/20245")
    assert any_date().search("on 12/05/2024.").group() == "12/05/2024"


def test_identifier_like_needs_five_digits_or_three_among_letters():
    assert identifier_like().search("12345") and not identifier_like().search("1234")
    assert identifier_like().search("ab123") and not identifier_like().search("ab12")
