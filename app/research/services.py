"""Recording the datasets researchers download: each download is audited with its query."""

from __future__ import annotations

from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import transaction
from app.research.queries import DATASET
from app.research.search import Query


def record_download(actor: User, query: Query, fmt: str, panels: int, origin: RequestInfo) -> None:
    """Keep in the audit trail who downloaded which dataset: the filters, the format and how many panels."""
    with transaction():
        audit.record(actor, DATASET, "research", "", origin, query=query.as_details(), format=fmt, panels=panels)
