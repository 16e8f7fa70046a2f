"""Password hashing with argon2."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError

_HASHER = PasswordHasher()
# A hash of a random password, verified when the e-mail is unknown so both cases take the same time.
_DUMMY_HASH = _HASHER.hash("consilium-dummy-password")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


# Stored until the owner sets a password: not an argon2 hash, so no password ever matches it.
UNUSABLE_PASSWORD = "!"  # noqa: S105 - a marker, not a secret
