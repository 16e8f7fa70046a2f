"""Seeding the training environment: ERNs, centres, accounts, and patients enrolled through the process."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import Membership
from app.accounts.models import Role
from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.database import db
from app.database import transaction
from app.demo import data
from app.demo.expertise import seed_expertise
from app.demo.panels import seed_panels
from app.ernsettings.models import ConsentForm
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.organisations.models import ThematicArea
from app.pdf import PdfDocument
from app.tasks import completion
from app.tasks.answers import clean_answers
from app.tasks.form_definitions import FormDefinition
from app.tasks.models import OpenTask
from app.workflows import store
from app.workflows.models import ProcessDefinition


def demo_is_seeded() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Ern)))


def seed_demo(forms: dict[str, FormDefinition], today: date, *, reset: bool = False) -> list[tuple[str, str]]:
    """Fill an empty database (or, with reset, an emptied one) with the demo data; returns (e-mail, role) pairs."""
    with transaction():
        if reset:
            _delete_everything()
        erns = _seed_erns()
        centres = _seed_centres(erns)
        users = _seed_users(erns, centres)
        for centre_code, ern_code, email, first, last, gender, born, registry in data.PATIENTS:
            _enrol(users[email], centres[centre_code], erns[ern_code], forms["enrolment"], today, first, last, gender, born, registry)
        seed_panels(users, forms, today)
        seed_expertise(users)
        _seed_consent_forms(erns)
    return [(email, ", ".join(sorted({role for _e, _c, role in memberships}))) for email, _f, _l, _s, memberships, _t in data.USERS]


def _delete_everything() -> None:

    for table in reversed(db.metadata.sorted_tables):
        if table.name not in (ProcessDefinition.__tablename__, "alembic_version"):
            db.session.execute(table.delete())


def _seed_consent_forms(erns: dict[str, Ern]) -> None:
    """A model consent form per ERN in English and French, as its manager would upload them (fake text)."""
    for ern in erns.values():
        for language, title, text in data.CONSENT_FORMS:
            pdf = PdfDocument(title, f"{ern.code} · {title}")
            pdf.title_block(f"{title}: {ern.name}")
            pdf.paragraph(text)
            content = pdf.render()
            db.session.add(
                ConsentForm(ern_id=ern.id, language=language, file_name=f"consent-{language}.pdf", size=len(content), content=content)
            )
    db.session.flush()


def _seed_erns() -> dict[str, Ern]:
    erns = {}
    for code, (name, areas) in data.ERNS.items():
        ern = Ern(code=code, name=name)
        ern.thematic_areas = [ThematicArea(name=area) for area in areas]
        db.session.add(ern)
        erns[code] = ern
    db.session.flush()
    return erns


def _seed_centres(erns: dict[str, Ern]) -> dict[str, Centre]:
    centres = {}
    for code, name, country, ern_codes in data.CENTRES:
        centres[code] = Centre(code=code, name=name, country=country, erns=[erns[c] for c in ern_codes])
    for ern in erns.values():
        code = f"GUEST-{ern.code}"
        centres[code] = Centre(code=code, name=f"{ern.code} guest virtual centre", country="EU", is_guest=True, erns=[ern])
    db.session.add_all(centres.values())
    db.session.flush()
    return centres


def _seed_users(erns: dict[str, Ern], centres: dict[str, Centre]) -> dict[str, User]:
    password_hash = hash_password(data.DEMO_PASSWORD)
    areas = {area.name: area for ern in erns.values() for area in ern.thematic_areas}
    users = {}
    for email, first, last, specialisation, memberships, area_names in data.USERS:
        user = User(
            email=email,
            first_name=first,
            last_name=last,
            specialisation=specialisation,
            password_hash=password_hash,
            training_account=True,
        )
        user.memberships = [
            Membership(ern=erns[ern], centre=centres[centre] if centre else None, role=Role(role)) for ern, centre, role in memberships
        ]
        user.thematic_areas = [areas[name] for name in area_names]
        db.session.add(user)
        users[email] = user
    db.session.flush()
    return users


def _enrol(
    user: User, centre: Centre, ern: Ern, form: FormDefinition, today: date, first: str, last: str, gender: str, born: str, registry: str
) -> None:
    instance, advance = store.start(
        "enrolment", subject_type="enrolment", subject_id=None, ern_id=ern.id, centre_id=centre.id, data={}, actor=user
    )
    raw = {
        "enrolled_on": today.strftime("%d/%m/%Y"),
        "consent_care": "yes",
        "consent_care_date": today.strftime("%d/%m/%Y"),
        "consent_registry": registry,
        "registry_name": f"{ern.code} registry" if registry == "yes" else "",
        "consent_registry_date": today.strftime("%d/%m/%Y") if registry else "",
        "consent_research": "no",
        "consent_research_date": today.strftime("%d/%m/%Y"),
        "first_name": first,
        "last_name": last,
        "gender": gender,
        "date_of_birth": born,
        "record_label": "",
    }
    answers, errors = clean_answers(form, raw, today)
    if errors:
        raise ValueError(f"demo patient {first} {last}: {errors}")
    task = db.session.scalar(select(OpenTask).where(OpenTask.engine_task_id == advance.open_tasks[0].task_id))
    assert task is not None
    completion.advance(user, task, form, answers)
