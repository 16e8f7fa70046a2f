"""Every language Consilium speaks has the whole catalogue: each message of messages.pot translated in the compiled
catalogue the app reads (app/translations/<lang>/LC_MESSAGES/messages.mo, built by `make test` / `make run`), with
the same named values (%(name)s) as the English, and every plural form."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.i18n import LANGUAGES

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]")


def _template():
    with (TRANSLATIONS / "messages.pot").open("rb") as source:
        return read_po(source)


def _compiled(language: str):
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    if not path.exists():  # a catalogue is built from its .po: `make test` does it before running the tests
        pytest.fail(f"{path.relative_to(ROOT)} is not built: run `make test` (it compiles the catalogues)")
    with path.open("rb") as source:
        return read_mo(source)


def _values(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "en"])
def test_every_message_is_translated_with_its_values(language):
    compiled = _compiled(language)
    missing, wrong_values = [], []
    for message in _template():
        if not message.id:
            continue
        found = compiled.get(message.id)
        texts = (list(found.string) if isinstance(found.string, list | tuple) else [found.string]) if found is not None else []
        if not texts or not all(text and text.strip() for text in texts):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
            continue
        english = message.id if isinstance(message.id, str) else message.id[-1]
        if any(_values(text) != _values(english) for text in texts if "%(num)" not in english):
            wrong_values.append(english)
    assert not missing, f"{language}: {len(missing)} messages not translated, e.g. {missing[:5]}"
    assert not wrong_values, f"{language}: translations that change the values they name: {wrong_values[:5]}"


def test_the_catalogues_are_built_not_committed():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8")
    assert "app/translations/*/LC_MESSAGES/*.mo" in ignored
