"""Terminology picker benchmark: server time of a search-as-you-type request over the whole HPO.

Builds a fresh app on a temporary SQLite database, signs a training account in, then times the
picker's JSON route (/terminology/search?format=json&systems=HPO&q=...) for queries a clinician
types letter by letter, against a trivial login-required route of the same app (the framework's
floor). Requests are interleaved so machine noise falls on both alike. Prints, for each, the median
and 95th percentile, and one line ending in ratio=N.NN (target: ≤ 3, an index built once).

The index is built at start-up, in the background (create_app): the script first prints when it was
ready, then the first two searches after start-up, which must take no longer than the later ones.

    python benchmarks/terminology_bench.py [--rounds 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# What a clinician types, one request per keystroke after the second letter.
WORDS = ["seizure", "hypotonia", "microcephaly", "splenomegaly", "anemia", "thrombocytopenia", "ataxia", "hepatomegaly"]
QUERIES = [word[:n] for word in WORDS for n in range(2, len(word) + 1)] + ["HP:0001250", "abnormal heart", "short stature"]


def build(database: Path):  # noqa: ANN201 - a Flask app with a signed-in test client
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.models import User
    from app.accounts.passwords import hash_password
    from app.database import db
    from app.database import transaction
    from app.security import LOGIN
    from app.security import requires

    app = create_app(
        {
            "SECRET_KEY": "terminology-bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SCHEDULER_ENABLED": False,
            "DEMO_MODE": True,
            "WTF_CSRF_ENABLED": False,
        }
    )

    @requires(LOGIN)
    def trivial() -> str:
        return "ok"

    app.add_url_rule("/_bench/trivial", "bench_trivial", trivial)
    with app.app_context():
        upgrade()
        with transaction():
            db.session.add(
                User(
                    email="bench@consilium.example",
                    first_name="Bench",
                    last_name="Mark",
                    password_hash=hash_password("bench-password"),
                    training_account=True,
                )
            )
    client = app.test_client()
    response = client.post("/login", data={"email": "bench@consilium.example", "password": "bench-password"})
    if response.status_code != 302:
        raise SystemExit(f"login failed: {response.status_code}")
    return app, client


def timed(client, url: str) -> float:  # noqa: ANN001 - Flask's test client
    before = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - before) * 1000
    if response.status_code != 200 or (response.is_json and not response.get_json()):
        raise SystemExit(f"{url}: {response.status_code}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300, help="timed requests per side")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        from app.terminology.catalogue import building_state

        started = time.perf_counter()
        _app, client = build(Path(directory) / "bench.sqlite")  # create_app starts building the index in the background
        load = time.perf_counter()
        state_at_load = building_state()
        while building_state() != "ready":
            time.sleep(0.01)
        ready = time.perf_counter()
        print(f"app ready in {load - started:.1f} s (index {state_at_load}); index ready {ready - started:.1f} s after start-up")
        floor = timed(client, "/_bench/trivial")
        first = timed(client, "/terminology/search?format=json&systems=HPO&q=se")
        second = timed(client, "/terminology/search?format=json&systems=HPO&q=hy")
        print(f"after start-up: first trivial request {floor:.2f}ms; first search {first:.2f}ms, second {second:.2f}ms")
        for _ in range(30):
            client.get("/_bench/trivial")
            client.get("/terminology/search?format=json&systems=HPO&q=seiz")
        timings: dict[str, list[float]] = {"trivial": [], "picker": []}
        found = 0
        for index in range(args.rounds):
            query = QUERIES[index % len(QUERIES)]
            for side, url in (("trivial", "/_bench/trivial"), ("picker", f"/terminology/search?format=json&systems=HPO&q={query}")):
                before = time.perf_counter()
                response = client.get(url)
                timings[side].append((time.perf_counter() - before) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{url}: {response.status_code}")
                if side == "picker":
                    found += bool(response.get_json())
        print(f"{args.rounds} searches over {len(QUERIES)} typed queries; {found} returned terms")
        floor = statistics.median(timings["trivial"])
        for side, values in timings.items():
            values.sort()
            median, p95 = statistics.median(values), values[int(len(values) * 0.95) - 1]
            print(f"{side:8} median={median:.2f}ms p95={p95:.2f}ms ratio={median / floor:.2f}")


if __name__ == "__main__":
    main()
