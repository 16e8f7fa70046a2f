"""A single-process Consilium server for benchmarks that watch the app from outside (its memory, say).

The app is built by ``create_app()`` from the CONSILIUM_* environment, exactly as ``wsgi.py`` does, and
served by Werkzeug on 127.0.0.1, one request at a time (no threads, no reloader). The port (a free one)
is the first line on stdout. SIGTERM stops it.

With ``--tracemalloc``, Python allocations are traced (25 frames) and, after each POST, stderr gets the
request's traced peak and the 15 places (innermost frame first) holding the most memory still allocated
then, against the state before the request: what a request leaves behind. (Tracing slows the app many
times over and adds its own memory to the RSS: never use it for the figures.)

    python benchmarks/upload_server.py [--tracemalloc]
"""

from __future__ import annotations

import argparse
import signal
import sys
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import request  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402


def trace_posts(app: Any) -> None:
    tracemalloc.start(25)
    state: dict[str, Any] = {}

    @app.before_request
    def _before() -> None:
        if request.method == "POST":
            tracemalloc.reset_peak()
            state["before"] = tracemalloc.take_snapshot()

    @app.teardown_request
    def _after(_error: BaseException | None) -> None:
        if "before" not in state:
            return
        current, peak = tracemalloc.get_traced_memory()
        after = tracemalloc.take_snapshot()
        lines = [f"tracemalloc {request.method} {request.path}: traced now {current / 1e6:.1f} MB, request's peak {peak / 1e6:.1f} MB"]
        for stat in after.compare_to(state.pop("before"), "traceback")[:15]:
            frames = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in list(reversed(stat.traceback))[:6])
            lines.append(f"  {stat.size_diff / 1e6:+8.2f} MB {stat.count_diff:+7d} blocks  {frames}")
        print("\n".join(lines), file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracemalloc", action="store_true", help="report each POST's allocations on stderr (slow)")
    args = parser.parse_args()
    app = create_app()
    if args.tracemalloc:
        trace_posts(app)
    server = make_server("127.0.0.1", 0, app)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a clean exit: profilers and atexit hooks get to run
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
