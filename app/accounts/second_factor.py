"""TOTP second factor and recovery codes: secrets, QR codes, verification with replay protection."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno

ISSUER = "Consilium"
RECOVERY_CODES = 10
_VALID_WINDOW = 1  # accept the previous and the next 30-second step (clock drift)


def new_secret() -> str:
    return pyotp.random_base32()


def qr_data_uri(secret: str, account: str) -> str:
    """The QR code an authenticator app scans, as an SVG data URI (made here, nothing fetched)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff"))


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step a six-digit code belongs to, or None when it is not valid now."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    moment = time.time() if now is None else now
    current = int(moment // totp.interval)
    for step in range(current - _VALID_WINDOW, current + _VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten single-use codes, shown once: 10 random characters each, grouped for reading."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def hash_recovery_code(code: str) -> str:
    # Codes carry ~50 bits of randomness: a plain hash is enough, and lets us look them up.
    normalised = code.strip().lower().replace(" ", "").replace("-", "")
    return hashlib.sha256(normalised.encode()).hexdigest()
