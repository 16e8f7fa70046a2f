import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database

ENGINE = Path(__file__).resolve().parents[2] / "engine"


def test_engine_source_never_mentions_flask_or_the_app():
    for path in ENGINE.rglob("*.py"):
        text = path.read_text()
        assert "import flask" not in text.lower() and "from flask" not in text.lower(), path
        assert "from app" not in text and "import app" not in text, path


def test_importing_the_engine_loads_no_flask():
    code = "import sys, engine; print(any(m == 'flask' or m.startswith('flask.') for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ENGINE.parent)
    assert result.stdout.strip() == "False"
