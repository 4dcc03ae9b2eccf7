"""Per-client rate limits for public pages (statement verification, report look-up), shared by
every worker process.

Flask-Limiter counts in Redis when `REDIS_URL` is set, so two workers (or two machines) see one
count; without it (`make run`) in this process's memory. The client is the address the request
came from, or, behind `TRUSTED_PROXIES` reverse proxies, the address they forwarded (ProxyFix in
web.py), so one client behind the proxy cannot use up the limit for everybody.
Attempt limits on codes and passwords are not here: they are per person (operations.limits).
"""

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)


def init_app(app) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config.get("RATE_LIMIT_PREFIX", "portal"))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down: count in memory meanwhile rather than answer every visitor with an error.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
    # The portal sets no default, application-wide or blueprint limits: only decorated views
    # are limited, and their decorator checks the limit itself. Flask-Limiter's check before
    # every request would only find nothing to do, at a sixth of a public page's cost.
    app.before_request_funcs[None].remove(limiter._check_request_limit)


def verification_rate() -> str:
    return f"{current_app.config['VERIFY_RATE_PER_MINUTE']}/minute"
