"""The experts who could be invited to a panel, ranked for its case with a short reason each.

The candidates are exactly those ``panels.queries.ern_experts`` offers (active experts of the panel's ERN with thematic
areas, not on the panel yet): the ranking orders them, it never adds anyone."""

from __future__ import annotations

from dataclasses import dataclass

from app.database import db
from app.database import utcnow
from app.ernsettings.models import ErnSettings
from app.expertise import matching
from app.expertise import profile
from app.expertise.matching import OWN_COUNTRY_ORDERS
from app.panels import queries
from app.panels.models import Panel


@dataclass(frozen=True)
class RankedExpert:
    """An ``Expert`` (same attributes, for the invite list) with its score for the case and the reason."""

    user: object
    hospital: str
    country: str
    matches_area: bool
    score: float
    reason: str


def case_of(panel: Panel) -> matching.Case:
    codes = profile.case_codes(panel.consultation)
    return matching.Case(
        orpha=tuple(code for system, code, _ in codes if system == matching.ORPHA),
        hpo=tuple(code for system, code, _ in codes if system == matching.HPO),
        country=panel.centre.country if panel.centre is not None else "",
    )


def own_country_order(ern_id: int) -> str:
    settings = db.session.get(ErnSettings, ern_id)
    order = settings.own_country_order if settings is not None else matching.NEUTRAL
    return order if order in OWN_COUNTRY_ORDERS else matching.NEUTRAL


def ranked_experts(panel: Panel) -> list[RankedExpert]:
    """The panel's possible invitees, best first for its case."""
    experts = queries.ern_experts(panel)
    ids = [e.user.id for e in experts]
    profiles = profile.profiles(ids)
    loads = profile.loads(ids)
    candidates = [
        matching.Candidate(
            key=e,
            name=f"{e.user.last_name} {e.user.first_name}",
            profile=profiles.get(e.user.id, matching.Profile()),
            load=loads.get(e.user.id, matching.Load()),
            country=e.country,
            matches_area=e.matches_area,
        )
        for e in experts
    ]
    ranked = matching.rank(case_of(panel), candidates, year=utcnow().year, own_country_order=own_country_order(panel.ern_id))
    experts_in_order = [(r.candidate.key, r) for r in ranked]
    return [RankedExpert(e.user, e.hospital, e.country, e.matches_area, r.score, r.reason) for e, r in experts_in_order]
