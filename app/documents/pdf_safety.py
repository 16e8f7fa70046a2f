"""Active content in uploaded PDFs: found, and removed from a rewritten copy, before the file is stored.

A PDF can carry JavaScript, actions that start programs, open other files or send form data, embedded files,
XFA forms and multimedia, run by a reader when the file is opened, a page is shown or a link is followed. Those
parts are found in the document's structure as pypdf reads it, and, against readers that read a damaged file
differently, by their names anywhere in the bytes. A file without any is kept byte for byte; otherwise a copy
holding only the document's reachable objects, without them, is written and checked again. No Flask here.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pypdf import PasswordType
from pypdf import PdfReader
from pypdf import PdfWriter
from pypdf.generic import ArrayObject
from pypdf.generic import DictionaryObject
from pypdf.generic import IndirectObject
from pypdf.generic import PdfObject

JAVASCRIPT = "javascript"
LAUNCH = "launch"  # start a program, open another file or a file: or network-share link, import data from a file
SUBMIT = "submit"  # send the form's data somewhere
AUTOMATIC = "automatic"  # additional actions: run when a page opens, a field is entered, the file is printed...
EMBEDDED = "embedded"
XFA = "xfa"
MULTIMEDIA = "multimedia"
METADATA = "metadata"  # not active, but hidden: author, title, subject, keywords (names and dates of whoever wrote it)
REVISIONS = "revisions"  # not active, but hidden: earlier versions of an edited file, which a reader can still open

_ACTIONS = {
    "/JavaScript": JAVASCRIPT,
    "/Rendition": MULTIMEDIA,
    "/RichMediaExecute": MULTIMEDIA,
    "/Sound": MULTIMEDIA,
    "/Movie": MULTIMEDIA,
    "/GoTo3DView": MULTIMEDIA,
    "/Launch": LAUNCH,
    "/GoToR": LAUNCH,
    "/GoToE": LAUNCH,
    "/ImportData": LAUNCH,
    "/SubmitForm": SUBMIT,
}
_ANNOTATIONS = {
    "/FileAttachment": EMBEDDED,
    "/RichMedia": MULTIMEDIA,
    "/Screen": MULTIMEDIA,
    "/Movie": MULTIMEDIA,
    "/Sound": MULTIMEDIA,
    "/3D": MULTIMEDIA,
}
_KEYS = {
    "/JS": JAVASCRIPT,
    "/JavaScript": JAVASCRIPT,
    "/AA": AUTOMATIC,
    "/EmbeddedFiles": EMBEDDED,
    "/EF": EMBEDDED,
    "/AF": EMBEDDED,
    "/Collection": EMBEDDED,
    "/XFA": XFA,
    "/Metadata": METADATA,
    "/PieceInfo": METADATA,
}
# What the document information dictionary may keep: the writing program and its dates say nothing of a patient.
_PLAIN_INFO = {"/Producer", "/CreationDate", "/ModDate"}
_WEB_LINKS = (b"http://", b"https://", b"mailto:")

# Names that only active content uses, as they may appear anywhere in the bytes (also #-escaped, as /J#61vaScript).
_DELIMITER = rb"\x00\t\n\x0c\r /<>\[\]()%{}"
_BARE_NAMES = {
    b"JavaScript": JAVASCRIPT,
    b"Launch": LAUNCH,
    b"GoToR": LAUNCH,
    b"GoToE": LAUNCH,
    b"ImportData": LAUNCH,
    b"SubmitForm": SUBMIT,
    b"EmbeddedFile": EMBEDDED,
    b"EmbeddedFiles": EMBEDDED,
    b"XFA": XFA,
    b"RichMedia": MULTIMEDIA,
    b"RichMediaExecute": MULTIMEDIA,
}
_BARE = re.compile(rb"/(" + b"|".join(sorted(_BARE_NAMES, key=len, reverse=True)) + rb")(?![^" + _DELIMITER + rb"])")
_ESCAPED = re.compile(rb"/([^" + _DELIMITER + rb"]*#[0-9A-Fa-f]{2}[^" + _DELIMITER + rb"]*)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


class Unreadable(Exception):
    """The file cannot be checked (damaged, or locked with a password), or what it holds cannot be removed."""

    DAMAGED, PASSWORD, STUCK = "damaged", "password", "stuck"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Defused:
    data: bytes
    removed: frozenset[str]  # the kinds of active content removed (empty: data is the upload itself)


def defuse(data: bytes) -> Defused:
    """The PDF itself when it holds no active content, else a rewritten copy without it (Unreadable if neither)."""
    with _guarded():
        reader = _read(data)
        found = _named_in_bytes(data) | _walk(reader.root_object, strip=False) | _told(reader) | _revised(data)
        if not found:
            return Defused(data, frozenset())
        writer = PdfWriter(clone_from=_read(data))
        _walk(writer.root_object, strip=True)
        writer.metadata = None
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)  # what was cut out
        out = io.BytesIO()
        writer.write(out)
        cleaned = out.getvalue()
        again = _read(cleaned)
        if _named_in_bytes(cleaned) or _walk(again.root_object, strip=False) or _told(again) or _revised(cleaned):
            raise Unreadable(Unreadable.STUCK)
    return Defused(cleaned, frozenset(found))


def texts(data: bytes) -> Iterator[tuple[int | None, str]]:
    """What a reader of the (defused) PDF can read, with its page number where it has one: each page's text, its
    annotations' and form fields' contents, the bookmarks' titles."""
    with _guarded():
        reader = _read(data)
        for number, page in enumerate(reader.pages, start=1):
            yield number, page.extract_text() or ""
            for annotation in _resolved(page.get("/Annots")) or []:
                target = _resolved(annotation)
                if isinstance(target, DictionaryObject):
                    yield number, " ".join(str(_resolved(target.get(key)) or "") for key in ("/Contents", "/V", "/T", "/TU"))
        for field in (reader.get_fields() or {}).values():
            yield None, " ".join(str(field.get(key) or "") for key in ("/V", "/T", "/TU"))
        yield from ((None, title) for title in _outline_titles(reader.outline))


def _outline_titles(outline: list[Any]) -> Iterator[str]:
    for item in outline:
        if isinstance(item, list):
            yield from _outline_titles(item)
        else:
            yield str(getattr(item, "title", "") or "")


def _revised(data: bytes) -> set[str]:
    """REVISIONS when the file was saved more than once by appending (each save ends with %%EOF): what an edit removed
    or covered, a redacted name included, is still in the file. The rewritten copy holds the last version only."""
    return {REVISIONS} if data.count(b"%%EOF") > 1 else set()


def _told(reader: PdfReader) -> set[str]:
    """METADATA when the document information dictionary says more than which program wrote the file and when."""
    info = reader.trailer.get("/Info")
    entries = _resolved(info)
    return {METADATA} if isinstance(entries, DictionaryObject) and set(entries) - _PLAIN_INFO else set()


@contextmanager
def _guarded() -> Iterator[None]:
    """pypdf's warnings about odd files silenced, and any failure on a hostile file made Unreadable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except Unreadable:
        raise
    except Exception:  # a hostile file can make the parser fail in any way
        raise Unreadable(Unreadable.DAMAGED) from None


def _read(data: bytes) -> PdfReader:
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise Unreadable(Unreadable.PASSWORD)
    return reader


def _walk(root: PdfObject, strip: bool) -> set[str]:
    """The kinds of active content reachable from the document's catalog; with strip, each is cut out where it hangs."""
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    pending: list[PdfObject] = [root]
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            for key, value in list(dict.items(item)):
                pending.append(value)  # a part cut out is still looked through: what it holds is reported
                if kind := _KEYS.get(key) or _active(value):
                    found.add(kind)
                    if strip:
                        del item[key]
        elif isinstance(item, ArrayObject):
            for index in reversed(range(len(item))):
                value = list.__getitem__(item, index)
                pending.append(value)
                if kind := _active(value):
                    found.add(kind)
                    if strip:
                        del item[index]
    return found


def _resolved(item: PdfObject | None) -> PdfObject | None:
    return item.get_object() if isinstance(item, IndirectObject) else item


def _active(value: PdfObject) -> str | None:
    """The kind of active content an action, annotation or file specification is, if it is one."""
    target = _resolved(value)
    if not isinstance(target, DictionaryObject):
        return None
    action = _resolved(dict.get(target, "/S"))
    if isinstance(action, str) and action in _ACTIONS:
        return _ACTIONS[action]
    if action == "/URI":
        link = _resolved(dict.get(target, "/URI"))
        text = bytes(link) if isinstance(link, bytes) else str(link or "").encode("utf-8", "replace")
        if not text.strip().lower().startswith(_WEB_LINKS):
            return LAUNCH
    subtype = _resolved(dict.get(target, "/Subtype"))
    if isinstance(subtype, str) and subtype in _ANNOTATIONS:
        return _ANNOTATIONS[subtype]
    if _resolved(dict.get(target, "/Type")) == "/EmbeddedFile":
        return EMBEDDED
    return None


def _named_in_bytes(data: bytes) -> set[str]:
    """Kinds of active content named anywhere in the bytes, wherever a reader might find them."""
    found = {_BARE_NAMES[match] for match in _BARE.findall(data)}
    for escaped in _ESCAPED.findall(data):
        name = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), escaped)
        if name in _BARE_NAMES:
            found.add(_BARE_NAMES[name])
    return found
