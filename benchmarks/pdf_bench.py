"""PDF benchmark: time to answer for the consultation form's PDF and the signed outcome's PDF.

A fresh app on its own database (a SQLite file in a temp dir), migrated, with the shipped definitions deployed and the
demo data seeded (the same panels a training environment has: the signed-off panel "lemon tree", its consultation
form and outcome). Its lead signs in through the login form and a Flask test client then requests
``GET /panels/<id>/consultation.pdf`` and ``GET /panels/<id>/outcome.pdf``: the whole route as a user meets it
(security, queries, audit entry, the PDF itself), no network and no browser.

The terminology index, which a server builds in the background at start-up, is waited for before (the outcome names
its diagnosis codes). The first request of each PDF is reported apart (``first_*``: a new process pays some imports
there); then ``--rounds`` rounds, alternating the two, and the medians:

    consultation_pdf_ms=N outcome_pdf_ms=N

``--profile`` runs cProfile over 20 requests of each.

Run from the repository root:  python benchmarks/pdf_bench.py [--rounds 30] [--profile]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.web_harness import build_app  # noqa: E402
from benchmarks.web_harness import database  # noqa: E402
from benchmarks.web_harness import profile  # noqa: E402


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--rounds", type=int, default=30, help="timed requests of each PDF")
    arguments.add_argument("--profile", action="store_true", help="cProfile 20 requests of each PDF")
    options = arguments.parse_args()

    from sqlalchemy import select

    from app.demo.data import DEMO_PASSWORD
    from app.demo.services import seed_demo
    from app.i18n import today_for
    from app.panels.models import Panel
    from app.tasks.form_definitions import load_form_definitions
    from app.terminology.catalogue import catalogue

    with database(None, "pdf") as url, tempfile.TemporaryDirectory(prefix="consilium-pdf-bench-storage-") as storage:
        app = build_app(url, storage)
        with app.app_context():
            seed_demo(load_form_definitions(app.config["FORMS_DIR"]), today_for(None))
            panel = app.extensions["sqlalchemy"].session.scalar(select(Panel).where(Panel.nickname == "lemon tree"))
            panel_id, lead_email = panel.id, panel.lead.email
        catalogue()  # the terminology index a server builds at start-up (the outcome names its diagnosis codes)
        client = app.test_client()
        signed_in = client.post("/login", data={"email": lead_email, "password": DEMO_PASSWORD})
        if signed_in.status_code != 302 or "/login" in signed_in.headers.get("Location", ""):
            raise SystemExit(f"the lead could not sign in: {signed_in.status_code}")
        pages = {"consultation_pdf": f"/panels/{panel_id}/consultation.pdf", "outcome_pdf": f"/panels/{panel_id}/outcome.pdf"}

        times: dict[str, list[float]] = {name: [] for name in pages}
        first: dict[str, float] = {}
        for round_ in range(options.rounds + 1):
            for name, url_ in pages.items():
                start = time.perf_counter()
                response = client.get(url_)
                elapsed = time.perf_counter() - start
                if response.status_code != 200 or response.mimetype != "application/pdf":
                    raise SystemExit(f"GET {url_} answered {response.status_code}")
                if round_ == 0:
                    first[name] = elapsed
                else:
                    times[name].append(elapsed)
        print(" ".join(f"{name}_bytes={len(client.get(url_).data)}" for name, url_ in pages.items()))
        print(" ".join(f"first_{name}_ms={seconds * 1000:.1f}" for name, seconds in first.items()))
        print(" ".join(f"{name}_ms={statistics.median(values) * 1000:.1f}" for name, values in times.items()))
        if options.profile:
            for url_ in pages.values():
                profile(client, url_, 20, top=30)


if __name__ == "__main__":
    main()
