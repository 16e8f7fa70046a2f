"""Pictures of a PDF's pages, drawn by PDFium, so that no uploaded PDF is ever opened by a browser's own viewer.

PDFium draws in a child process with a time and memory limit: a hostile or broken file then costs a message, not
the web process (PDFium is also not safe to call from several threads). The child reads the file from its standard
input and imports nothing of the app. No Flask here.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from dataclasses import dataclass
from typing import BinaryIO

WIDTH = 1400  # pixels: text stays sharp on a laptop's screen at the page's full width
MAX_HEIGHT = 4 * WIDTH  # a very long page is drawn narrower instead of ever larger
TIMEOUT_SECONDS = 20
MEMORY_BYTES = 1024 * 1024 * 1024


class CannotRender(Exception):
    """PDFium cannot draw this file or page (damaged, locked, too slow, too large); the text says why."""


@dataclass(frozen=True)
class Page:
    width: float  # points (1/72 inch), as shown (rotation applied)
    height: float

    def pixels(self, width: int = WIDTH) -> tuple[int, int]:
        """The size of this page's picture drawn ``width`` pixels wide."""
        scale = _scale(self.width, self.height, width)
        return round(self.width * scale), round(self.height * scale)


def _scale(page_width: float, page_height: float, width: int) -> float:
    return min(width / max(page_width, 1), MAX_HEIGHT / max(page_height, 1))


def pages(source: BinaryIO) -> list[Page]:
    """The size of each page of a PDF."""
    return [Page(width, height) for width, height in json.loads(_child(source, "pages"))]


def render(source: BinaryIO, index: int, width: int = WIDTH) -> bytes:
    """One page (from 0) as a PNG image ``width`` pixels wide (narrower for very long pages)."""
    return _child(source, "render", str(index), str(width))


def _child(source: BinaryIO, *arguments: str) -> bytes:
    try:
        # -I: neither PYTHON* variables nor this folder (its profile.py would shadow the standard library's) enter the path.
        done = subprocess.run(  # noqa: S603 (our own script, run by the interpreter running us; arguments are numbers)
            [sys.executable, "-I", __file__, *arguments], stdin=source, capture_output=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise CannotRender("it takes too long to draw") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CannotRender(lines[-1] if done.returncode == 2 and lines else "it cannot be drawn")
    return done.stdout


def _main(arguments: list[str]) -> int:
    """The child: draw what is asked of the PDF on standard input; exit 2 with a reason on the last line of stderr."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    import pypdfium2  # after the limit, in the child only: PDFium's native library is loaded under the cap

    try:
        document = pypdfium2.PdfDocument(sys.stdin.buffer.read())
    except pypdfium2.PdfiumError as error:
        print("it is locked with a password" if "password" in str(error).lower() else "it cannot be read", file=sys.stderr)
        return 2
    document.init_forms()  # filled-in form fields are drawn too (this PDFium has no JavaScript)
    if arguments[0] == "pages":
        sys.stdout.write(json.dumps([document.get_page_size(index) for index in range(len(document))]))
        return 0
    index, width = int(arguments[1]), int(arguments[2])
    if not 0 <= index < len(document):
        print(f"there is no page {index + 1}", file=sys.stderr)
        return 2
    page = document[index]
    page.render(scale=_scale(*page.get_size(), width), may_draw_forms=True).to_pil().save(sys.stdout.buffer, "PNG")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
