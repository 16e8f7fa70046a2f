"""What a file really is, from its first bytes (the name and the browser's claim are not trusted)."""

from __future__ import annotations

PDF, PNG, JPEG, DICOM = "application/pdf", "image/png", "image/jpeg", "application/dicom"


def sniff(head: bytes) -> str | None:
    """The media type of an accepted kind, or None for anything else (executables, scripts, unknown binaries)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if len(head) >= 132 and head[128:132] == b"DICM":
        return DICOM
    return None
