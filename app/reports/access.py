"""Who reads which report: an ERN's report for its managers and coordinators; a centre's report also for the health
professionals of that centre in that ERN (it shows that centre's panels only)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.accounts.models import Role
from app.accounts.models import User
from app.errors import NotAllowed
from app.security import clinical_ern_centres
from app.security import manages_ern


def reads_ern_reports(user: User, ern_id: int) -> bool:
    return manages_ern(user, ern_id) or user.has_role(Role.COORDINATOR, ern_id=ern_id)


def reads_centre_report(user: User, ern_id: int, centre_id: int) -> bool:
    return reads_ern_reports(user, ern_id) or (ern_id, centre_id) in clinical_ern_centres(user)


def require_ern_reader(user: User, ern_id: int) -> None:
    if not reads_ern_reports(user, ern_id):
        raise NotAllowed(_("The ERN's reports are for its managers and coordinators."))


def require_centre_reader(user: User, ern_id: int, centre_id: int) -> None:
    if not reads_centre_report(user, ern_id, centre_id):
        raise NotAllowed(_("A centre's report is for its health professionals and the ERN's managers and coordinators."))
