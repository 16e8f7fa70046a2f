"""A system administrator manages ERNs, their thematic areas and the centres (SPEC §2). One transaction each."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from app import security
from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.errors import InvalidInput
from app.errors import NotAllowed
from app.errors import NotFound
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.organisations.models import ThematicArea

ERN_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,39}$")
CENTRE_CODE = re.compile(r"^[A-Z]{2}[0-9]{2,4}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")


def _admin(actor: User) -> None:
    if not actor.is_admin:
        raise NotAllowed(_("Only a system administrator manages networks and centres."))


def _name(value: str, what: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise InvalidInput(_("%(what)s cannot be empty.", what=what), {"name": [_("Enter a name.")]})
    if len(name) > 200 or not name.isprintable():
        raise InvalidInput(_("%(what)s must be at most 200 printable characters.", what=what), {"name": [_("Shorten the name.")]})
    return name


def create_ern(actor: User, code: str, name: str, origin: RequestInfo) -> Ern:
    """A new ERN, with its guest virtual centre for health professionals from outside the network."""
    with transaction():
        _admin(actor)
        code = (code or "").strip()
        if not ERN_CODE.match(code):
            raise InvalidInput(_("An ERN code is 2 to 40 letters, digits or dashes, e.g. EuroBloodNet."), {"code": [_("Check the code.")]})
        if db.session.scalar(select(Ern).where(Ern.code == code)) is not None:
            raise InvalidInput(_("An ERN with the code %(code)s exists already.", code=code), {"code": [_("Choose another code.")]})
        ern = Ern(code=code, name=_name(name, _("The name")))
        guest = Centre(code=f"GUEST-{code}", name=f"{code} guest virtual centre", country="EU", is_guest=True, erns=[ern])
        db.session.add_all([ern, guest])
        db.session.flush()
        audit.record(actor, "ern.created", "ern", ern.id, origin, code=code)
        return ern


def add_thematic_area(actor: User, ern_id: int, name: str, origin: RequestInfo) -> None:
    """Administrators, and the ERN's own managers, add thematic areas."""
    with transaction():
        if not security.manages_ern(actor, ern_id):
            _admin(actor)
        ern = db.session.get(Ern, ern_id)
        if ern is None:
            raise NotFound(_("No such ERN."))
        area_name = _name(name, _("The thematic area"))
        if any(area.name.casefold() == area_name.casefold() for area in ern.thematic_areas):
            raise InvalidInput(
                _("%(ern)s already has the thematic area %(area)s.", ern=ern.code, area=area_name), {"name": [_("Choose another name.")]}
            )
        db.session.add(ThematicArea(ern_id=ern.id, name=area_name))
        audit.record(actor, "ern.area_added", "ern", ern.id, origin, area=area_name)


def create_centre(actor: User, code: str, name: str, country: str, ern_ids: list[int], origin: RequestInfo) -> Centre:
    """A healthcare provider coded by country and number (BE10), member of one or more ERNs."""
    with transaction():
        _admin(actor)
        code, country = (code or "").strip().upper(), (country or "").strip().upper()
        if not CENTRE_CODE.match(code):
            raise InvalidInput(_("A centre code is a country code and a number, e.g. BE10."), {"code": [_("Check the code.")]})
        if not COUNTRY.match(country) or not code.startswith(country):
            raise InvalidInput(_("The country is the two letters the centre code starts with."), {"country": [_("Check the country.")]})
        if db.session.scalar(select(Centre).where(Centre.code == code)) is not None:
            raise InvalidInput(_("A centre with the code %(code)s exists already.", code=code), {"code": [_("Choose another code.")]})
        erns = list(db.session.scalars(select(Ern).where(Ern.id.in_(ern_ids)))) if ern_ids else []
        if not erns or len(erns) != len(set(ern_ids)):
            raise InvalidInput(_("Choose the ERNs the centre belongs to."), {"erns": [_("Choose at least one ERN.")]})
        centre = Centre(code=code, name=_name(name, _("The name")), country=country, erns=erns)
        db.session.add(centre)
        db.session.flush()
        audit.record(actor, "centre.created", "centre", centre.id, origin, code=code)
        return centre


def set_centre_erns(actor: User, centre_id: int, ern_ids: list[int], origin: RequestInfo) -> None:
    """The ERNs a centre belongs to (existing patients and panels keep theirs)."""
    with transaction():
        _admin(actor)
        centre = db.session.get(Centre, centre_id)
        if centre is None or centre.is_guest:
            raise NotFound(_("No such centre."))
        erns = list(db.session.scalars(select(Ern).where(Ern.id.in_(ern_ids)))) if ern_ids else []
        if not erns or len(erns) != len(set(ern_ids)):
            raise InvalidInput(_("Choose the ERNs the centre belongs to."), {"erns": [_("Choose at least one ERN.")]})
        centre.erns = erns
        audit.record(actor, "centre.erns_changed", "centre", centre.id, origin, erns=sorted(e.code for e in erns))
