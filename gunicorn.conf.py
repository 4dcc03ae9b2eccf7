"""The production web server's settings: `make serve`, or
`gunicorn -c gunicorn.conf.py 'portal:create_app()'` behind the reverse proxy (docs/scaling.md).

Each value can be changed by an environment variable (README). The defaults suit one small
machine; a web node is stateless (sessions, limits and jobs live in PostgreSQL and Redis), so more
traffic means more nodes rather than more workers per node.
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# CPU-bound pages: about two processes per core. Threads let a worker answer the portal's own
# calls to its embedded identity provider (sign-in exchanges the code over HTTP) while another
# request waits, as `make run --with-threads` does.
# At most 8 by default: each worker holds a connection per busy thread, and PostgreSQL's default
# max_connections is 100 for every node together (more nodes: PgBouncer, docs/scaling.md).
workers = _int("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1) + 1, 8))
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
# A request that takes longer than this is stuck (long work belongs in a job): the worker is
# replaced and the client gets a 502 from the proxy, not an endless wait.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # the proxy reuses connections; idle ones close
# Recycle workers now and then so no slow growth (caches, fragmentation) lasts for weeks.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10
# Heartbeat files on tmpfs: a slow disk must not make gunicorn think a worker hung.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The app writes one JSON line per request itself (portal/applog.py); no second access log.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Client addresses: the app believes X-Forwarded-For only from TRUSTED_PROXIES (ProxyFix).
limit_request_line = 4094
# gunicorn ≥ 25 opens a control socket in the home directory by default: one path for every
# server of the same user on the machine. The portal does not use it.
control_socket_disable = True
limit_request_fields = 100
