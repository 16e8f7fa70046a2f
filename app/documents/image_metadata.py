"""Text hidden in uploaded pictures, removed before they are stored: PNG text chunks, JPEG comments, EXIF, XMP, IPTC.

Cameras, scanners and image editors write names, dates, places and serial numbers there, which no one sees while
looking at the picture. The pixels are not touched (no re-encoding, no loss): only those parts, and anything after
the end of the (first) picture, are left out of the copy. What stays is what a viewer needs to show the picture as it
was meant (colour profiles, transparency). The orientation a camera notes in EXIF goes with the rest, so a photograph
may show turned. No Flask here.
"""

from __future__ import annotations

import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Ancillary PNG chunks that hold text or the time of the last change; every other chunk is kept.
PNG_TEXT_CHUNKS = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}
# JPEG application segments a viewer needs: APP0 (JFIF), APP2 (ICC colour profile), APP14 (Adobe colour transform).
JPEG_KEPT_APPS = {0xE0, 0xE2, 0xEE}
JPEG_COMMENT = 0xFE
START_OF_SCAN = 0xDA
END_OF_IMAGE = 0xD9


class Malformed(Exception):
    """The file does not follow its format's structure far enough to tell the picture from its text."""


def without_png_text(data: bytes) -> tuple[bytes, bool]:
    """The PNG without its text chunks, and whether any was there (the same bytes when none was)."""
    if not data.startswith(PNG_SIGNATURE):
        raise Malformed("not a PNG")
    out, position, removed = [PNG_SIGNATURE], len(PNG_SIGNATURE), False
    while position < len(data):
        if position + 8 > len(data):
            raise Malformed("a chunk is cut short")
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        end = position + 12 + length  # length, type, data, CRC
        if end > len(data):
            raise Malformed("a chunk is cut short")
        if kind in PNG_TEXT_CHUNKS:
            removed = True
        else:
            out.append(data[position:end])
        position = end
        if kind == b"IEND":
            break
    removed = removed or position < len(data)  # bytes after the end of the picture (appended text) are left out
    return (b"".join(out), True) if removed else (data, False)


def without_jpeg_text(data: bytes) -> tuple[bytes, bool]:
    """The JPEG's first picture without comments and application segments other than those a viewer needs, and whether
    anything was left out. Segments are read through every scan up to the end of the picture; what follows it (a
    phone's second picture with its own EXIF, appended text) is left out too."""
    if not data.startswith(b"\xff\xd8"):
        raise Malformed("not a JPEG")
    out, position, removed = [b"\xff\xd8"], 2, False
    while True:
        if position + 2 > len(data) or data[position] != 0xFF:
            raise Malformed("a segment is cut short")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == END_OF_IMAGE:
            out.append(data[position : position + 2])
            return b"".join(out), removed or position + 2 < len(data)
        if position + 4 > len(data):
            raise Malformed("a segment is cut short")
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        end = position + 2 + length
        if length < 2 or end > len(data):
            raise Malformed("a segment is cut short")
        if marker == JPEG_COMMENT or (0xE0 <= marker <= 0xEF and marker not in JPEG_KEPT_APPS):
            removed = True
        elif marker == START_OF_SCAN:
            scanned = _end_of_scan(data, end)
            out.append(data[position:scanned])
            end = scanned
        else:
            out.append(data[position:end])
        position = end


def _end_of_scan(data: bytes, position: int) -> int:
    """Where the compressed data of a scan ends: at the next marker that is not a stuffed byte or a restart marker."""
    while True:
        found = data.find(b"\xff", position)
        if found < 0 or found + 1 >= len(data):
            raise Malformed("the picture is cut short")
        following = data[found + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            position = found + 2
        elif following == 0xFF:
            position = found + 1
        else:
            return found
