"""The ranking of candidates for a case: pure scoring over hpo3's hierarchies (no database)."""

import pytest

from app.expertise import matching
from app.expertise.matching import Candidate
from app.expertise.matching import Case
from app.expertise.matching import Learned
from app.expertise.matching import Load
from app.expertise.matching import Profile

pytestmark = pytest.mark.no_database

AL_AMYLOIDOSIS = "ORPHA:85443"
CASE = Case(orpha=(AL_AMYLOIDOSIS,), hpo=("HP:0001635", "HP:0000093"), country="BE")  # heart failure, proteinuria


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context():
        yield


def names(ranked):
    return [r.candidate.name for r in ranked]


def test_an_exact_orpha_match_comes_first_and_says_why():
    candidates = [
        Candidate("hpo", "close", Profile(declared=(("HPO", "HP:0001635"),))),
        Candidate("exact", "exact", Profile(declared=(("ORPHA", AL_AMYLOIDOSIS),))),
        Candidate("none", "none", Profile()),
    ]
    ranked = matching.rank(CASE, candidates, year=2026)
    assert names(ranked)[0] == "exact"
    assert ranked[0].reason == "declared expertise: ORPHA:85443"
    assert ranked[-1].reason == "no expertise recorded close to this case"


def test_a_close_hpo_term_comes_before_an_unrelated_one():
    parent = next(iter(matching._term("HP:0001635").parents)).id  # an ancestor: the common one is less informative
    candidates = [
        Candidate("far", "far", Profile(declared=(("HPO", "HP:0000486"),))),  # strabismus
        Candidate("near", "near", Profile(declared=(("HPO", parent),))),
        Candidate("same", "same", Profile(declared=(("HPO", "HP:0001635"),))),
    ]
    ranked = matching.rank(Case(hpo=("HP:0001635",)), candidates, year=2026)
    assert names(ranked) == ["same", "near", "far"]
    assert ranked[0].expertise > ranked[1].expertise > ranked[2].expertise


def test_learned_expertise_and_recent_contributions_count_with_the_reason():
    learned = Profile(learned=(Learned("ORPHA", AL_AMYLOIDOSIS, "AL amyloidosis", 3, 2026),))
    ranked = matching.rank(CASE, [Candidate("l", "learned", learned, Load(open_panels=2))], year=2026)
    assert ranked[0].reason == "contributed to 3 panels on ORPHA:85443 in 2026; 2 open panels now"
    assert ranked[0].recent > 0


def test_an_overloaded_expert_drops_below_an_equal_colleague():
    profile = Profile(declared=(("ORPHA", AL_AMYLOIDOSIS),))
    candidates = [Candidate("busy", "a busy", profile, Load(open_panels=5)), Candidate("free", "b free", profile, Load())]
    ranked = matching.rank(CASE, candidates, year=2026)
    assert names(ranked) == ["b free", "a busy"]
    assert "5 open panels now" in ranked[1].reason


def test_the_patients_own_country_goes_last_or_first_by_setting():
    profile = Profile(declared=(("ORPHA", AL_AMYLOIDOSIS),))
    candidates = [Candidate("be", "a own", profile, country="BE"), Candidate("cz", "b abroad", Profile(), country="CZ")]
    assert names(matching.rank(CASE, candidates, year=2026)) == ["a own", "b abroad"]
    assert names(matching.rank(CASE, candidates, year=2026, own_country_order="last")) == ["b abroad", "a own"]
    assert names(matching.rank(CASE, candidates, year=2026, own_country_order="first")) == ["a own", "b abroad"]


def test_a_related_orpha_disease_counts_less_than_the_exact_one_but_more_than_nothing():
    closeness = matching.Closeness(CASE)
    assert closeness.of("ORPHA", AL_AMYLOIDOSIS) == 1.0
    related = closeness.of("ORPHA", "ORPHA:85445")  # AA amyloidosis
    assert 0 < related <= matching.NEAR_ORPHA
    assert closeness.of("ORPHA", "ORPHA:999999999") == 0.0 and closeness.of("HPO", "HP:9999999") == 0.0


@pytest.mark.parametrize("disease", ["ORPHA:85445", "ORPHA:558", "ORPHA:166", "ORPHA:79445"])
def test_the_closeness_of_a_disease_is_hpo3s_resnik_best_match_average(disease):
    from pyhpo import HPOSet

    closeness = matching.Closeness(CASE)
    case_set = HPOSet.from_queries(list(closeness.case_terms))
    disease_set = HPOSet.from_queries(list(matching._disease_terms(disease)))
    expected = case_set.similarity(disease_set, kind="orpha", method="resnik", combine="BMA")
    expected /= case_set.similarity(case_set, kind="orpha", method="resnik", combine="BMA")
    assert closeness.of("ORPHA", disease) == pytest.approx(matching.NEAR_ORPHA * min(1.0, expected), abs=1e-5)
