"""Patients' rights: what the patient's centre hands over (export) or removes (erasure) on the patient's request."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("patient_rights", __name__, url_prefix="/patients")
