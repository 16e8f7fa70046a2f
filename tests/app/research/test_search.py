"""Researchers search the released panels of their ERNs by code, sex, age band at onset, country and period."""

from __future__ import annotations

from datetime import date

import pytest

from app.accounts.models import Role
from app.database import db
from app.errors import InvalidInput
from app.panels.models import Panel
from app.research import search
from tests import factories
from tests.app.research.helpers import released_panel


def _found(user, **args) -> list[int]:
    return [case.panel_id for case in search.cases(user, search.parse_query(args))]


def test_an_orpha_code_finds_the_panels_with_that_diagnosis(world):
    amyloidosis = released_panel(world.clinician, world.leuven, world.ern, diagnosis="ORPHA:85443")
    other = released_panel(world.clinician, world.leuven, world.ern, diagnosis="ORPHA:98")
    assert _found(world.researcher, codes="ORPHA:85443") == [amyloidosis]
    assert _found(world.researcher, codes="orpha:98") == [other]


def test_an_hpo_ancestor_finds_a_panel_with_a_descendant_term_but_not_an_excluded_one(world):
    febrile = released_panel(world.clinician, world.leuven, world.ern, phenotype="HP:0002373")  # Febrile seizure
    excluded = released_panel(world.clinician, world.leuven, world.ern, phenotype="HP:0001627\nnot HP:0002373")
    assert _found(world.researcher, codes="HP:0001250") == [febrile]  # Seizure, above Febrile seizure
    assert _found(world.researcher, codes="HP:0002373") == [febrile]
    assert excluded in _found(world.researcher, codes="HP:0001627")


def test_an_icd10_category_finds_its_subcategories(world):
    hodgkin = released_panel(world.clinician, world.leuven, world.ern, diagnosis="C81.1")
    assert _found(world.researcher, codes="C81") == [hodgkin]
    assert _found(world.researcher, codes="C81-C96") == [hodgkin]  # the block
    assert _found(world.researcher, codes="C82") == []


def test_sex_age_band_and_country_narrow_the_search(world):
    child = released_panel(world.clinician, world.leuven, world.ern, patient_values={"gender": "female"}, age_at_onset="4")
    # no age at onset given: from the episode's onset (2020) and the birth date (1976): 44, computed on the server
    adult = released_panel(world.brno_clinician, world.brno, world.ern, episode_onset="2020")
    assert _found(world.researcher, sex="female") == [child]
    assert _found(world.researcher, sex="male") == [adult]
    assert _found(world.researcher, age_band="2-11") == [child]
    assert _found(world.researcher, age_band="40-64") == [adult]
    assert _found(world.researcher, country="CZ") == [adult]
    assert _found(world.researcher, country="be") == [child]
    case = search.cases(world.researcher, search.parse_query({"country": "CZ"}))[0]
    assert (case.age_band, case.age_at_onset) == ("40-64", 44)


def test_the_period_is_of_the_release_or_of_the_opening(world):
    panel_id = released_panel(world.clinician, world.leuven, world.ern)
    panel = db.session.get(Panel, panel_id)
    opened, released = panel.created_at.date(), panel.released_at.date()
    assert _found(world.researcher, since=released.isoformat(), until=released.isoformat()) == [panel_id]
    assert _found(world.researcher, until="2000-01-01") == []
    assert _found(world.researcher, period="opened", since=opened.isoformat()) == [panel_id]
    assert _found(world.researcher, period="opened", since=date(2999, 1, 1).isoformat()) == []


def test_unreleased_and_other_erns_panels_never_appear(world):
    released = released_panel(world.clinician, world.leuven, world.ern, diagnosis="ORPHA:85443")
    unreleased = released_panel(world.clinician, world.leuven, world.ern, release=False, diagnosis="ORPHA:85443")
    other_ern_expert = factories.make_user("vasc@leuven.example", [(world.other_ern, world.leuven, Role.MEMBER_EXPERT)])
    elsewhere = released_panel(
        other_ern_expert, world.leuven, world.other_ern, area="Medium Sized Arteries (MSA-WG)", diagnosis="ORPHA:85443"
    )
    assert _found(world.researcher, codes="ORPHA:85443") == [released]
    assert unreleased not in _found(world.researcher) and elsewhere not in _found(world.researcher)
    vascern_researcher = factories.make_user("research@vascern.example", [(world.other_ern, None, Role.RESEARCHER)])
    assert _found(vascern_researcher) == [elsewhere]
    assert _found(world.coordinator) == []  # not a researcher: nothing, whatever else they may see


def test_an_unknown_code_is_refused_with_a_message(world):
    with pytest.raises(InvalidInput, match="not a known"):
        search.parse_query({"codes": "HP:9999999"})
