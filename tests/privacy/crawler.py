"""A breadth-first crawl of everything a signed-in person can reach by following the app's own links, and a search of
every answer (pages, CSV, JSON, PDFs, images, DICOM files) for the canary patient's identity in every spelling."""

from __future__ import annotations

import html
import io
import re
import warnings
from collections import Counter
from collections import deque
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urlencode
from urllib.parse import urljoin
from urllib.parse import urlsplit

import lxml.html
from flask.testing import FlaskClient
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from werkzeug.test import TestResponse

from tests.privacy import canaries

HOSTS = {"", "consilium.test", "localhost"}
# Never followed: signing out or in (the crawl must stay signed in), static assets and the terminology search (no
# patient data in them; the terminologies take 10 s to load).
SKIPPED = re.compile(r"^/(logout|login|account/|static/|terminology/)")
# Pages of the same shape (ids and query values aside) are crawled twice; those about the canary always.
VARIANTS_PER_SHAPE = 2
OBJECT_IN_PATH = re.compile(r"^/(?:erns/[^/]+/processes/)?(panels|patients|documents|instances)/(\d+)")
DOCUMENT_VIEWS = ("download", "preview", "viewer", "header", "thumbnail.png", "frames/0.png")
CONTEXT = 60


@dataclass(frozen=True)
class Finding:
    """One spelling of the canary's identity found in one answer."""

    who: str
    url: str
    status: int
    media_type: str
    where: str  # how the text was read: page text, PDF page, PDF metadata, DICOM header, raw bytes, HTTP headers, mail…
    spelling: str
    context: str


def summary(findings: list[Finding], describe: dict[str, str] | None = None) -> list[str]:
    """One line per answer and way of reading it: who, URL (and what it is), every spelling found, and one context."""
    grouped: dict[tuple[str, str, int, str, str], list[Finding]] = {}
    for finding in findings:
        grouped.setdefault((finding.who, finding.url, finding.status, finding.media_type, finding.where), []).append(finding)
    lines = []
    for (who, url, status, media_type, where), found in grouped.items():
        what = next((text for prefix, text in (describe or {}).items() if url.startswith(prefix)), "")
        spellings = ", ".join(sorted({repr(f.spelling) for f in found}))
        lines.append(f"{who}: {url}{f' [{what}]' if what else ''} ({status} {media_type}, {where}): {spellings} — …{found[0].context}…")
    return lines


@dataclass
class Crawl:
    """What one person reached: every URL with its status, and what was found in the answers."""

    who: str
    visited: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def texts_of(media_type: str, data: bytes, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every way the answer can be read as text, each with what it is: the decoded body (HTML entities resolved), the
    raw bytes as UTF-8 and Latin-1, the text and metadata of a PDF, the elements of a DICOM file, the HTTP headers."""
    decoded = data.decode("utf-8", "replace")
    texts = [("HTTP headers", "\n".join(f"{name}: {value}" for name, value in headers)), ("body as UTF-8", decoded)]
    if not data.isascii():
        texts.append(("body as Latin-1", data.decode("latin-1")))
    if media_type in ("text/html", "application/json", "text/csv", "text/plain", "text/calendar") and "&" in decoded:
        texts.append(("text with entities resolved", html.unescape(decoded)))
    if data.startswith(b"%PDF"):
        texts += _pdf_texts(data)
    if data[128:132] == b"DICM":
        texts += _dicom_texts(data)
    return texts


def _pdf_texts(data: bytes) -> list[tuple[str, str]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # how well pypdf copes with a file is not what is tested here
            reader = PdfReader(io.BytesIO(data))
            texts = [("PDF page text", "\n".join(page.extract_text() or "" for page in reader.pages))]
            texts.append(("PDF metadata", "\n".join(str(value) for value in (reader.metadata or {}).values())))
            xmp = reader.xmp_metadata
            if xmp is not None:
                texts.append(("PDF XMP metadata", xmp.rdf_root.toxml()))
        return texts
    except (PyPdfError, ValueError, KeyError) as error:
        return [("PDF (unreadable)", f"{type(error).__name__}: {error}")]


def _dicom_texts(data: bytes) -> list[tuple[str, str]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd values in a header are shown, not refused
            dataset = dcmread(io.BytesIO(data), stop_before_pixels=True)
    except (InvalidDicomError, ValueError, KeyError) as error:
        return [("DICOM (unreadable)", f"{type(error).__name__}: {error}")]
    lines: list[str] = []

    def walk(items: Dataset) -> None:
        for element in items:
            if element.VR == "SQ":
                for item in element.value:
                    walk(item)
            else:
                lines.append(f"{element.tag} {element.keyword}: {element.value!s}")

    walk(dataset.file_meta)
    walk(dataset)
    return [("DICOM elements", "\n".join(lines))]


# Every spelling, lower-cased, longest first. str.find is used rather than canaries.pattern(): the same matches, but a
# regular expression of some hundred alternatives needs about 0.1 s per DICOM file, which a crawl of thousands cannot pay.
SPELLINGS = tuple(sorted({value.lower() for values in canaries.spellings().values() for value in values}, key=len, reverse=True))
# Bytes read as Latin-1 differ from the UTF-8 reading only where they are not ASCII.
NOT_ASCII = tuple(spelling for spelling in SPELLINGS if not spelling.isascii())


def matches(text: str, spellings: tuple[str, ...] = SPELLINGS) -> Iterator[tuple[int, int]]:
    """Where a spelling occurs in ``text`` (case-insensitive; digits must not continue a longer number; a spelling
    inside a longer one found is not counted again)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a character whose lower case is longer: keep positions right
        lowered = "".join(character.lower()[:1] for character in text)
    covered = bytearray(len(lowered))
    for spelling in spellings:
        start = lowered.find(spelling)
        while start != -1:
            end = start + len(spelling)
            before = lowered[start - 1 : start] if start else ""
            after = lowered[end : end + 1]
            longer_number = spelling[0].isdigit() and before.isdigit() or spelling[-1].isdigit() and after.isdigit()
            if not longer_number and covered.find(0, start, end) != -1:
                covered[start:end] = b"\1" * (end - start)
                yield start, end
            start = lowered.find(spelling, start + 1)


def findings_in(who: str, url: str, status: int, media_type: str, texts: list[tuple[str, str]]) -> list[Finding]:
    """Each canary spelling found, once per way of reading, with the text around it."""
    found: dict[tuple[str, str], Finding] = {}
    for where, text in texts:
        for start, end in matches(text, NOT_ASCII if where == "body as Latin-1" else SPELLINGS):
            read_as = "body" if where.startswith("body as") or where == "text with entities resolved" else where
            key = (read_as, text[start:end].casefold())
            if key not in found:
                context = "".join(c if c.isprintable() else " " for c in text[max(0, start - CONTEXT) : end + CONTEXT])
                found[key] = Finding(who, url, status, media_type, read_as, text[start:end], context)
    return list(found.values())


def links(url: str, response: TestResponse) -> list[str]:
    """Same-origin URLs the answer points at: links, images, frames, stylesheets, GET forms (with their default values),
    URLs written into data attributes and scripts' JSON, and every view of each document named. Forms that POST are
    never followed: they change things."""
    if response.mimetype != "text/html":
        return []
    text = response.get_data(as_text=True)
    found: list[str] = []
    posted: set[str | None] = set()
    try:
        tree = lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError):
        tree = None
    if tree is not None:
        for element, attribute, link, _position in tree.iterlinks():
            if element.tag != "form" and (attribute in ("href", "src", "data", "poster") or attribute.startswith("data-")):
                found.append(link)
        for form in tree.iter("form"):
            if (form.get("method") or "get").lower() == "get":
                found.append(_form_url(form))
            else:
                posted.add(_same_origin(urljoin(url, form.get("action") or url)))
    # URLs that scripts build from JSON (the image viewer's frame and header addresses) or keep in attributes.
    quoted = re.findall(r"""["'](/(?:panels|patients|documents|tasks|erns|centres|queue|audit|notifications)[^"'\s<>{}]*)["']""", text)
    found += [html.unescape(link) for link in quoted]
    urls = []
    for link in found:
        absolute = _same_origin(urljoin(url, link))
        if absolute is not None and absolute not in posted:
            urls.append(absolute)
            if match := re.match(r"^/documents/(\d+)/", absolute):
                urls += [f"/documents/{match.group(1)}/{view}" for view in DOCUMENT_VIEWS]
    return urls


def _form_url(form: lxml.html.FormElement) -> str:
    values = []
    for element in form.inputs:
        name = element.get("name")
        if not name or element.get("type") in ("submit", "button", "file", "image"):
            continue
        if element.get("type") in ("checkbox", "radio") and element.get("checked") is None:
            continue
        if element.tag == "select":
            options = element.findall(".//option")
            chosen = next((o for o in options if o.get("selected") is not None), options[0] if options else None)
            values.append((name, chosen.get("value", chosen.text or "") if chosen is not None else ""))
        else:
            values.append((name, element.get("value") or ""))
    action = (form.get("action") or "").split("?")[0]
    return f"{action}?{urlencode(values)}"


def _same_origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or parts.hostname not in HOSTS and parts.hostname is not None:
        return None
    path = parts.path or "/"
    if SKIPPED.match(path):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def _shape(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "U", parts.path)
    path = re.sub(r"\d+", "N", path)
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return f"{path}?{'&'.join(keys)}"


def _always(url: str, about_canary: dict[str, set[int]]) -> bool:
    """Pages about the canary (its patient, panels, documents, processes) and tasks are never skipped."""
    about = OBJECT_IN_PATH.match(url)
    return url.startswith(("/tasks/", "/queue/tasks/")) or bool(about and int(about.group(2)) in about_canary.get(about.group(1), set()))


def crawl(client: FlaskClient, who: str, seeds: list[str], about_canary: dict[str, set[int]], limit: int) -> Crawl:
    """Follow every same-origin link breadth-first from ``seeds`` (GET only, nothing that changes state), at most
    ``limit`` answers; search each. Pages about the canary's patient, panels and documents are never skipped."""
    result = Crawl(who)
    queue = deque(dict.fromkeys(seeds))
    queued = set(queue)
    shapes: Counter[str] = Counter()
    while queue and len(result.visited) < limit:
        url = queue.popleft()
        if not _always(url, about_canary):
            shapes[_shape(url)] += 1
            if shapes[_shape(url)] > VARIANTS_PER_SHAPE:
                continue
        response = client.get(url, buffered=True)
        result.visited[url] = response.status_code
        data = response.get_data()
        texts = texts_of(response.mimetype, data, response.headers.items())
        result.findings += findings_in(who, url, response.status_code, response.mimetype, texts)
        following = links(url, response)
        if response.status_code in (301, 302, 303, 307, 308) and response.location:
            target = _same_origin(urljoin(url, response.location))
            following = [target] if target else []
        response.close()
        for link in following:
            if link not in queued:
                queued.add(link)
                queue.append(link)
    return result
