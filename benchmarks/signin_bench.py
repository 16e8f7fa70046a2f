"""Sign-in benchmark: how long each answer of the sign-in takes, end to end through the app.

A fresh app on its own database (a SQLite file in a temp dir), migrated, with the shipped definitions deployed, one
ERN and centre, and accounts whose passwords are hashed as the app hashes them now. A Flask test client (no
network, no browser) then signs in, ``--rounds`` times each, round-robin:

- ``signin``: ``POST /login`` with a real account's e-mail and password, the answer that checks the password
  (it leads on to the second factor);
- ``code``: ``POST /login/code`` with the authenticator app's current code (each account signs in once, since a
  code is usable once);
- ``training``: ``POST /login`` of a training account in demo mode (password only: it signs in at once);
- ``wrong``: ``POST /login`` with a wrong password (it must take as long as a right one);
- ``landing``: ``GET /``, the dashboard the user then lands on.

Then the medians, first ``signin_ms_median=N``, and what one password check costs alone (``verify_ms``: argon2
with the parameters in use, which it prints, and interleaved with it, under the same load, argon2-cffi's default).

Run from the repository root:  python benchmarks/signin_bench.py [--rounds 20] [--profile]
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

PASSWORD = "bench password, not secret"  # noqa: S105


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--rounds", type=int, default=20, help="sign-ins of each kind")
    arguments.add_argument("--profile", action="store_true", help="cProfile 10 password steps of real accounts")
    options = arguments.parse_args()

    import pyotp
    from argon2 import PasswordHasher

    from app.accounts import passwords
    from app.accounts.models import Membership
    from app.accounts.models import Role
    from app.accounts.models import User
    from app.database import db
    from app.organisations.models import Centre
    from app.organisations.models import Ern
    from app.organisations.models import ThematicArea

    with tempfile.TemporaryDirectory(prefix="consilium-signin-bench-") as directory:
        app = build_app(f"sqlite:///{Path(directory) / 'bench.sqlite'}", str(Path(directory) / "storage"))
        app.config["LOGIN_FAILURES_PER_ADDRESS"] = 10_000
        app.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"] = 10_000
        accounts = options.rounds + 10 + (10 if options.profile else 0)
        secret = pyotp.random_base32()
        with app.app_context():
            ern = Ern(code="EuroBloodNet", name="EuroBloodNet network", thematic_areas=[ThematicArea(name="Amyloidosis")])
            centre = Centre(code="BE10", name="Hospital BE10", country="BE", erns=[ern])
            password_hash = passwords.hash_password(PASSWORD)
            for number in range(accounts):
                for kind, training in (("real", False), ("training", True)):
                    user = User(
                        email=f"{kind}{number}@bench.example",
                        first_name="Bench",
                        last_name=f"User {number}",
                        password_hash=password_hash,
                        training_account=training,
                        totp_secret=None if training else secret,
                    )
                    user.memberships = [Membership(ern=ern, centre=centre, role=Role.MEMBER_EXPERT)]
                    db.session.add(user)
            db.session.commit()

        def post(client: object, url: str, data: dict[str, str], expect: str | None) -> float:
            """Time one POST; ``expect``: where it must redirect to (None: it must answer the form again)."""
            start = time.perf_counter()
            response = client.post(url, data=data)  # type: ignore[attr-defined]
            elapsed = time.perf_counter() - start
            redirected = response.status_code == 302 and response.headers.get("Location", "").endswith(expect or "\0")
            if not (redirected or (expect is None and response.status_code == 200)):
                raise SystemExit(f"POST {url} answered {response.status_code} {response.headers.get('Location')}, not {expect}")
            return elapsed

        def landing(client: object) -> float:
            start = time.perf_counter()
            response = client.get("/")  # type: ignore[attr-defined]
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise SystemExit(f"GET / answered {response.status_code}")
            return elapsed

        times: dict[str, list[float]] = {"signin": [], "code": [], "training": [], "wrong": [], "landing": []}
        totp = pyotp.TOTP(secret)
        for number in range(options.rounds + 3):  # the first three warm up
            sample: dict[str, float] = {}
            real, training = app.test_client(), app.test_client()
            sample["signin"] = post(real, "/login", {"email": f"real{number}@bench.example", "password": PASSWORD}, "/login/code")
            sample["code"] = post(real, "/login/code", {"code": totp.now()}, "/")
            sample["landing"] = landing(real)
            sample["training"] = post(training, "/login", {"email": f"training{number}@bench.example", "password": PASSWORD}, "/")
            sample["wrong"] = post(app.test_client(), "/login", {"email": f"real{number}@bench.example", "password": "wrong"}, None)
            if number >= 3:
                for name, seconds in sample.items():
                    times[name].append(seconds)

        # One check alone, with the parameters in use and, interleaved (the same load), with argon2-cffi's default.
        hasher, default = passwords.HASHER, PasswordHasher()
        default_hash = default.hash(PASSWORD)
        verify: list[float] = []
        verify_default: list[float] = []
        for _ in range(options.rounds):
            for check, samples in (
                (lambda: passwords.verify_password(password_hash, PASSWORD), verify),
                (lambda: default.verify(default_hash, PASSWORD), verify_default),
            ):
                start = time.perf_counter()
                check()
                samples.append(time.perf_counter() - start)
        print(f"argon2id m={hasher.memory_cost} KiB t={hasher.time_cost} p={hasher.parallelism}")
        print(" ".join(f"{name}_ms_median={statistics.median(values) * 1000:.1f}" for name, values in times.items()))
        print(
            f"verify_ms_median={statistics.median(verify) * 1000:.1f} "
            f"(argon2-cffi default m={default.memory_cost} t={default.time_cost} p={default.parallelism}: "
            f"{statistics.median(verify_default) * 1000:.1f})"
        )
        if options.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            for number in range(options.rounds + 10, options.rounds + 20):
                client = app.test_client()
                profiler.enable()
                client.post("/login", data={"email": f"real{number}@bench.example", "password": PASSWORD})
                profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
