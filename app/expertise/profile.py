"""A member's expertise as Consilium knows it: what they declared, and what it learned from the panels they contributed
to (the ORPHA and HPO codes of those cases, with how many panels and the latest year), less what they hid; and their
current load. Read-only; several members at once for the ranking, in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import union

from app.database import db
from app.expertise.matching import HPO
from app.expertise.matching import ORPHA
from app.expertise.matching import Learned
from app.expertise.matching import Load
from app.expertise.matching import Profile
from app.expertise.models import ConsultationLanguage
from app.expertise.models import DeclaredExpertise
from app.expertise.models import HiddenLearnedCode
from app.panels.models import Contribution
from app.panels.models import InvitationStatus
from app.panels.models import Panel
from app.panels.models import PanelMember
from app.panels.models import Phase
from app.tasks.models import OpenTask


def case_codes(consultation: Mapping[str, Any] | None) -> list[tuple[str, str, str]]:
    """(system, code, label) of a consultation's answers: its ORPHA or HPO diagnosis and its observed HPO features
    (an excluded feature is absent from the case)."""
    found: list[tuple[str, str, str]] = []
    answers = consultation or {}
    diagnosis = answers.get("diagnosis")
    if isinstance(diagnosis, Mapping) and diagnosis.get("code") and diagnosis.get("system") in (ORPHA, HPO):
        found.append((str(diagnosis["system"]), str(diagnosis["code"]), str(diagnosis.get("label", ""))))
    for item in answers.get("phenotype") or []:
        if isinstance(item, Mapping) and item.get("code") and not item.get("excluded"):
            found.append((HPO, str(item["code"]), str(item.get("label", ""))))
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class LearnedCode:
    learned: Learned
    hidden: bool


def learned_codes(user_ids: Iterable[int], *, with_hidden: bool = False) -> dict[int, list[LearnedCode]]:
    """By member, the codes of the panels they led or contributed to, most panels first."""
    ids = list(set(user_ids))
    hidden = hidden_codes(ids)
    found: dict[int, list[LearnedCode]] = {}
    for user_id, codes in _learned(ids).items():
        items = [LearnedCode(learned, (learned.system, learned.code) in hidden.get(user_id, ())) for learned in codes]
        found[user_id] = [item for item in items if with_hidden or not item.hidden]
    return found


def _learned(ids: list[int]) -> dict[int, list[Learned]]:
    """By member, each code of the panels they led or contributed to, with on how many and the latest year: most
    panels first (the ranking gives the first of equally close codes as the reason)."""
    if not ids:
        return {}
    led = select(Panel.lead_id.label("user_id"), Panel.id.label("panel_id")).where(Panel.lead_id.in_(ids))
    wrote = select(Contribution.author_id.label("user_id"), Contribution.panel_id.label("panel_id")).where(Contribution.author_id.in_(ids))
    pairs = union(led, wrote).subquery()
    rows = db.session.execute(select(pairs.c.user_id, Panel.consultation, Panel.created_at).join(Panel, Panel.id == pairs.c.panel_id))
    counts: dict[int, dict[tuple[str, str], tuple[str, int, int]]] = defaultdict(dict)
    for user_id, consultation, created_at in rows:
        year = created_at.year if created_at else 0
        codes = counts[user_id]
        for system, code, label in case_codes(consultation):
            known = codes.get((system, code))
            codes[(system, code)] = (known[0], known[1] + 1, max(known[2], year)) if known else (label, 1, year)
    return {
        user_id: sorted(
            (Learned(system, code, label, count, year) for (system, code), (label, count, year) in codes.items()),
            key=lambda learned: (-learned.count, -learned.year, learned.code),
        )
        for user_id, codes in counts.items()
    }


def hidden_codes(user_ids: list[int]) -> dict[int, set[tuple[str, str]]]:
    found: dict[int, set[tuple[str, str]]] = defaultdict(set)
    rows = db.session.execute(
        select(HiddenLearnedCode.user_id, HiddenLearnedCode.system, HiddenLearnedCode.code).where(HiddenLearnedCode.user_id.in_(user_ids))
    )
    for user_id, system, code in rows:
        found[user_id].add((system, code))
    return found


def declared(user_id: int) -> list[DeclaredExpertise]:
    query = select(DeclaredExpertise).where(DeclaredExpertise.user_id == user_id).order_by(DeclaredExpertise.system, DeclaredExpertise.code)
    return list(db.session.scalars(query))


def languages(user_id: int) -> list[str]:
    return list(db.session.scalars(select(ConsultationLanguage.language).where(ConsultationLanguage.user_id == user_id)))


def profiles(user_ids: Iterable[int]) -> dict[int, Profile]:
    """By member, what the ranking compares with a case: declared codes and learned ones (hidden ones left out)."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    declared_codes: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = db.session.execute(
        select(DeclaredExpertise.user_id, DeclaredExpertise.system, DeclaredExpertise.code).where(DeclaredExpertise.user_id.in_(ids))
    )
    for user_id, system, code in rows:
        declared_codes[user_id].append((system, code))
    learned = _learned(ids)
    hidden = hidden_codes(ids)
    return {
        user_id: Profile(
            tuple(declared_codes.get(user_id, ())),
            tuple(item for item in learned.get(user_id, ()) if (item.system, item.code) not in hidden.get(user_id, ())),
        )
        for user_id in ids
    }


def loads(user_ids: Iterable[int]) -> dict[int, Load]:
    """By member, the panels they are on that are not closed (invited, accepted or leading) and their open tasks."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    panels = dict(
        db.session.execute(
            select(PanelMember.user_id, func.count(PanelMember.id))
            .join(Panel, Panel.id == PanelMember.panel_id)
            .where(
                PanelMember.user_id.in_(ids),
                PanelMember.status.in_((InvitationStatus.INVITED, InvitationStatus.ACCEPTED)),
                Panel.phase != Phase.CLOSED,
            )
            .group_by(PanelMember.user_id)
        ).all()
    )
    tasks = dict(
        db.session.execute(
            select(OpenTask.assignee_id, func.count(OpenTask.id)).where(OpenTask.assignee_id.in_(ids)).group_by(OpenTask.assignee_id)
        ).all()
    )
    return {user_id: Load(int(panels.get(user_id, 0)), int(tasks.get(user_id, 0))) for user_id in ids}
