"""gunicorn settings for Consilium (`make serve`, or `gunicorn --config gunicorn.conf.py wsgi:app`).

Every value can be set from the environment; the defaults suit one machine behind a reverse proxy (README,
"Production"). `kill -HUP <master pid>` reloads gracefully: new workers with the new code start, then the old ones
finish what they are answering and stop.
"""

import multiprocessing
import os
import shutil
import tempfile

# Where to listen: loopback by default, for a reverse proxy on the same machine that adds TLS.
bind = os.environ.get("CONSILIUM_BIND", "127.0.0.1:8000")
# Worker processes (each answers one request at a time and keeps its own terminology index, a few hundred MB).
workers = int(os.environ.get("CONSILIUM_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8)))
# A worker silent this long is killed and replaced; uploads reach it whole, buffered by the proxy.
timeout = int(os.environ.get("CONSILIUM_WORKER_TIMEOUT", 120))
# On stop or reload, how long workers get to finish the requests they are answering.
graceful_timeout = 30
keepalive = 5
# The code is loaded by each worker, not before the fork: a HUP then loads the new code, and the background
# threads a worker starts (terminology index, scheduler) run in the worker that uses them.
preload_app = False
# Reload and stop with signals (HUP, TERM), not through gunicorn's control socket: one path in $HOME for every instance.
control_socket_disable = True
forwarded_allow_ips = os.environ.get("CONSILIUM_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Access log on stdout without query strings (%(U)s is the path alone): nothing typed in a search reaches a log.
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
errorlog = "-"
# The app's own lines: one JSON object each (app/observability/logs.py), unless asked otherwise.
os.environ.setdefault("CONSILIUM_LOG_FORMAT", "json")

# Metrics of every worker, summed at each scrape of /metrics: prometheus_client's multiprocess mode keeps them in
# files here (a folder of this run's own unless PROMETHEUS_MULTIPROC_DIR names one). It is emptied at each start and
# reload, since counts of a previous run must not add up.
_own_metrics_dir = os.path.join(tempfile.gettempdir(), f"consilium-metrics-{os.getpid()}")
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or _own_metrics_dir
shutil.rmtree(_metrics_dir, ignore_errors=True)
os.makedirs(_metrics_dir)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def child_exit(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    """A worker that ends leaves its gauges behind; its counters stay in the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # noqa: ARG001 - gunicorn's hook signature
    if _metrics_dir == _own_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
