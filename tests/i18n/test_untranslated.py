"""No user-facing text escapes translation: template texts and the attributes people read (title, aria-label,
placeholder, alt) go through _(); messages given to flash, errors, notifications, mails and the panel timeline are
translatable (no literal, no f-string); and the catalogue template holds every message the code and the shipped
forms and processes have today (`make messages` was run)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import lxml.html
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import Environment
from jinja2 import nodes

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "app" / "templates"
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
WORD = re.compile(r"[^\W\d_]{2,}")
HOLE = "\x00"  # where an expression of the template prints something
# Words that are the same in every language: names, codes, units and technical notation.
SAME_IN_EVERY_LANGUAGE = {"Consilium", "kB", "KB", "PDF", "openapi", "json", "OpenAPI", "Authorization", "Bearer", "https", "meet", "jit"}
SAME_IN_EVERY_LANGUAGE |= {"si", "room", "BE"}
# Calls whose first argument is shown to people.
SHOWN = {
    "flash",
    "notify",
    "tell",
    "queue",
    "ConsiliumError",
    "NotFound",
    "NotAllowed",
    "Conflict",
    "InvalidInput",
    "TooManyAttempts",
    "PreconditionFailed",
    "PreconditionRequired",
    "AnswerError",
}


def _template_text(source: str) -> str:
    """The template's own HTML, each printed expression and each block tag replaced by a hole."""
    parts: list[str] = []

    def walk(node: nodes.Node) -> None:
        for child in node.iter_child_nodes():
            if isinstance(child, nodes.TemplateData):
                parts.append(child.data)
            elif isinstance(child, nodes.Output):
                for item in child.nodes:
                    parts.append(item.data if isinstance(item, nodes.TemplateData) else f" {HOLE} ")
            else:
                walk(child)

    walk(Environment(extensions=["jinja2.ext.i18n"]).parse(source))
    return "".join(parts)


def _untranslated_in_template(source: str) -> list[str]:
    tree = lxml.html.fragment_fromstring(f"<div>{_template_text(source)}</div>")
    found = []
    for element in tree.iter():
        if element.tag in ("script", "style") or not isinstance(element.tag, str):
            continue
        texts = [element.text, element.tail] + [element.get(name) for name in READ_ATTRIBUTES]
        for text in texts:
            plain = " ".join((text or "").replace(HOLE, " ").split())
            if '="' in plain:  # attributes a macro writes into the tag it is called in, not text
                continue
            if any(word not in SAME_IN_EVERY_LANGUAGE for word in WORD.findall(plain)):
                found.append(plain[:80])
    return found


def test_every_template_text_people_read_is_translated():
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        untranslated = _untranslated_in_template(path.read_text(encoding="utf-8"))
        if untranslated:
            found[str(path.relative_to(ROOT))] = untranslated
    assert found == {}


def test_the_template_scan_finds_an_english_word():
    assert _untranslated_in_template('<p>{{ _("Saved") }}</p><p>Patients</p><a title="Open">{{ x }}</a>') == ["Patients", "Open"]


def _called(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(node.func, ast.Attribute) else ""


def _timeline_line(node: ast.Call) -> bool:
    """timeline.add(panel, kind, message, actor, ...): the message of a line on a panel's timeline."""
    func = node.func
    return isinstance(func, ast.Attribute) and func.attr == "add" and isinstance(func.value, ast.Name) and func.value.id == "timeline"


def _english(node: ast.expr) -> bool:
    """A text written in the code: a literal with words, or an f-string (never translatable as a whole)."""
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(WORD.search(node.value))


def untranslated_in_python(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _called(node) in SHOWN and node.args and _english(node.args[0]):
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and _timeline_line(node) and len(node.args) > 2 and _english(node.args[2]):
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and _called(node) == "InvalidInput" and len(node.args) > 1 and isinstance(node.args[1], ast.Dict):
            for value in node.args[1].values:
                if isinstance(value, ast.List) and any(_english(item) for item in value.elts):
                    lines.append(node.lineno)
    return lines


def test_messages_shown_to_people_are_translatable():
    found = {}
    for path in sorted((ROOT / "app").rglob("*.py")):
        lines = untranslated_in_python(path.read_text(encoding="utf-8"))
        if lines:
            found[str(path.relative_to(ROOT))] = lines
    assert found == {}


def test_the_python_scan_finds_an_english_message():
    source = (
        'flash("Saved", "success")\nraise NotFound(f"No {x}")\nflash(_("Saved"), "success")\nraise InvalidInput(_("No"), {"a": ["Bad"]})\n'
    )
    assert untranslated_in_python(source) == [1, 2, 4]


def test_the_catalogue_template_holds_every_message_of_today():
    with (ROOT / "app" / "translations" / "messages.pot").open("rb") as source:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(source) if m.id}
    method_map = [
        ("app/**.py", "python"),
        ("app/templates/**.html", "jinja2"),
        ("forms/*.json", "app.translation_sources:extract_form"),
        ("bpmn/*.bpmn", "app.translation_sources:extract_bpmn"),
    ]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "_l": None, "lazy_gettext": None, "N_": None}
    today = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, keywords=keywords)
        if message
    }
    assert sorted(today - known) == [], "run `make messages` (and translate the new messages)"
