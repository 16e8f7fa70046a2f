"""Only literals are translated: a label from a definition passed through gettext would come back marked safe
(live HTML in templates) and be %-formatted (a "%" in it answers 500)."""

import ast
from pathlib import Path

import pytest
from jinja2 import nodes

ROOT = Path(__file__).resolve().parent.parent
# How many leading arguments of each translation function are message texts (the rest are counts and variables).
MESSAGE_ARGUMENTS = {
    "_": 1,
    "gettext": 1,
    "lazy_gettext": 1,
    "ngettext": 2,
    "lazy_ngettext": 2,
    "pgettext": 2,
    "lazy_pgettext": 2,
    "npgettext": 3,
}


def _literal_python(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _translation_names(tree: ast.Module) -> dict[str, int]:
    """The names a module translates with: imported from flask_babel (under any alias), or bound to catalogue_gettext()."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "flask_babel":
            names.update(
                {alias.asname or alias.name: MESSAGE_ARGUMENTS[alias.name] for alias in node.names if alias.name in MESSAGE_ARGUMENTS}
            )
        called = node.value.func if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) else None
        if isinstance(called, ast.Name) and called.id == "catalogue_gettext":
            names.update({target.id: 1 for target in node.targets if isinstance(target, ast.Name)})
    return names


def python_lines_with_non_literal_text(tree: ast.Module) -> list[int]:
    names = _translation_names(tree)
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
            texts = node.args[: names[node.func.id]]
            if len(texts) < names[node.func.id] or not all(_literal_python(text) for text in texts):
                lines.append(node.lineno)
    return lines


def template_lines_with_non_literal_text(environment, source: str) -> list[int]:
    lines = []
    for call in environment.parse(source).find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name in MESSAGE_ARGUMENTS:
            count = MESSAGE_ARGUMENTS[call.node.name]
            texts = call.args[:count]
            if len(texts) < count or not all(isinstance(text, nodes.Const) and isinstance(text.value, str) for text in texts):
                lines.append(call.lineno)
    return lines


def test_python_translates_only_literals():
    found = []
    for path in sorted([*ROOT.joinpath("app").rglob("*.py"), *ROOT.joinpath("engine").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(ROOT)}:{line}" for line in python_lines_with_non_literal_text(tree)]
    assert found == []


def test_templates_translate_only_literals(app):
    environment = app.jinja_env
    found = []
    for name in environment.list_templates():
        source = environment.loader.get_source(environment, name)[0]
        found += [f"{name}:{line}" for line in template_lines_with_non_literal_text(environment, source)]
    assert found == []


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("{{ _(field.label) }}", True),
        ("{{ _(task.label | capitalize) }}", True),
        ("{{ _('Reassign: %(task)s', task=_(task.label)) }}", True),
        ("{{ ngettext(singular, plural, n) }}", True),
        ("{{ _('Reassign: %(task)s', task=task.label) }}", False),
        ("{{ ngettext('%(num)s task', '%(num)s tasks', n) }}", False),
    ],
)
def test_the_template_check_catches_a_label_passed_to_gettext(app, source, caught):
    assert bool(template_lines_with_non_literal_text(app.jinja_env, source)) is caught


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("from flask_babel import gettext as _\n_(field.label)", True),
        ("from flask_babel import lazy_gettext\nlazy_gettext(text)", True),
        ("from app.i18n import catalogue_gettext\ngettext = catalogue_gettext()\ngettext(row.label)", True),
        ("from flask_babel import gettext as _\n_('%(label)s is required.', label=field.label)", False),
    ],
)
def test_the_python_check_catches_a_label_passed_to_gettext(source, caught):
    assert bool(python_lines_with_non_literal_text(ast.parse(source))) is caught
