"""Password hashing with argon2id."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError

# argon2id with 46 MiB, 2 passes, 1 lane: OWASP's first configuration (46 MiB, 1 pass, 1 lane) with a second pass,
# above OWASP's minimum (19 MiB, 2 passes, 1 lane) on every parameter. argon2-cffi's default, RFC 9106's low-memory
# profile (64 MiB, 3 passes over 4 lanes in 4 threads), took 100-600 ms a check on the 2-core server, as its load
# went; this takes 80 ms there unloaded and about 210 ms at a load of 6 (benchmarks/signin_bench.py), and sign-in
# spends nearly all its time here. A hash made with other parameters is replaced at its owner's next sign-in.
HASHER = PasswordHasher(time_cost=2, memory_cost=46 * 1024, parallelism=1)


@cache
def _dummy_hash() -> str:
    """A hash of a random password, verified when the e-mail is unknown so both cases take the same time."""
    return HASHER.hash("consilium-dummy-password")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a (verified) hash was made with other parameters than the ones in use now."""
    return HASHER.check_needs_rehash(password_hash)


# Stored until the owner sets a password: not an argon2 hash, so no password ever matches it.
UNUSABLE_PASSWORD = "!"  # noqa: S105 - a marker, not a secret
