"""Wiring of the web layer: extensions, blueprints, security headers, locale, error pages."""

from collections import ChainMap

import jinja2
import jinja2.runtime
from flask import current_app, g, jsonify, render_template, request, session
from flask.globals import _cv_app
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

from . import applog, assets, chrome, cli, presenters, ratelimit, speech
from .auth import resident, sessions
from .cookies import cookie
from .extensions import babel, csrf, db, login_manager
from .operations import limits

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self' {issuer}"
)


def init_app(app):
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # The client address and scheme as the trusted reverse proxies saw them; anything a
        # client wrote into X-Forwarded-* beyond those proxies is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    db.init_app(app)
    assets.init_app(app)
    ratelimit.init_app(app)
    app.session_interface = sessions.DatabaseSessionInterface()
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Shanghai")
    app.jinja_env.template_class = _Template
    install_template_gettext(app)
    login_manager.init_app(app)
    resident.init_app(app)

    from .agency import cases as _agency_cases  # noqa: F401  (adds their routes)
    from .agency import money as _agency_money  # noqa: F401
    from .agency import oversight as _agency_oversight  # noqa: F401
    from .agency import views as agency_views
    from .assist import views as assist_views
    from .exchange import openapi, tax_api
    from .flows import views as flow_views
    from .idp import views as idp_views
    from .public import views as public_views
    from .resident import account as _account_routes  # noqa: F401  (adds the account pages)
    from .resident import beneficiary as _beneficiary_routes  # noqa: F401  (指定受益人 pages)
    from .resident import eligibility as _eligibility_routes  # noqa: F401  (资格认证 pages)
    from .resident import pension as _pension_routes  # noqa: F401  (adds the pension pages)
    from .resident import views as resident_views
    from .terminal import views as kiosk_views

    if not app.config["OIDC_ISSUER"]:
        idp_views.init_app(app)
    app.register_blueprint(public_views.bp)
    app.register_blueprint(resident_views.bp)
    app.register_blueprint(flow_views.bp)
    app.register_blueprint(agency_views.bp)
    tax_api.init_app(app)
    app.register_blueprint(openapi.bp)
    kiosk_views.init_app(app)
    app.register_blueprint(assist_views.bp)
    cli.init_app(app)
    speech.init_app(app)
    chrome.init_app(app)

    app.before_request(refuse_nul_bytes)
    app.before_request(load_preferences)
    app.after_request(security_headers)
    app.context_processor(template_globals)
    # Globals, not a context processor: imported macros see globals but not the context.
    app.jinja_env.globals.update(presenters.template_helpers())
    # Flask-Babel's `dateformat` formats a date anew on every call; a calendar date reads the
    # same every time for a language, so it is kept (presenters.date_label, which hands
    # datetimes and None on to Flask-Babel as before).
    app.jinja_env.filters["dateformat"] = presenters.date_label
    from .operations.applications import shown_status

    app.jinja_env.globals["shown_status"] = shown_status
    register_error_pages(app)
    applog.init_app(app)


def _request_translations():
    """Flask-Babel's translations for this request, looked up once per request and locale
    instead of through four context proxies on every `_()` in a template (a page has 30–60)."""
    context = _cv_app.get(None)
    if context is None:
        return get_translations()
    state = vars(context.g)
    babel_state = state.get("_flask_babel")
    locale = getattr(babel_state, "babel_locale", None)
    memo = state.get("_portal_translations")
    if memo is not None and locale is not None and memo[0] is locale:
        return memo[1]
    translations = get_translations()  # sets babel_locale (force_locale sets its own)
    state["_portal_translations"] = (getattr(state.get("_flask_babel"), "babel_locale", None),
                                     translations)
    return translations


class _Template(jinja2.Template):
    """Two shortcuts around Jinja's ChainMap of a template's globals (its own, nearly always
    none, over the environment's plain dict), which Python walks key by key:

    - on every `{% from … import … %}` Jinja re-derives whether the importing template has
      globals the imported one lacks (~40 µs per import; a page has two or three); when the
      importing template has nothing beyond the environment's, the cached module is the answer;
    - every render copies the globals into a new context and into a set of their names; from the
      environment's dict itself when the template has none of its own, the copies are C loops."""

    def _get_default_module(self, ctx=None):
        if ctx is not None and not (ctx.globals_keys - self.environment.globals.keys()):
            ctx = None
        return super()._get_default_module(ctx)

    def new_context(self, vars=None, shared=False, locals=None):
        globals = self.globals
        if type(globals) is ChainMap and len(globals.maps) == 2 and not globals.maps[0]:
            globals = globals.maps[1]
        return jinja2.runtime.new_context(self.environment, self.name, self.blocks, vars,
                                          shared, globals, locals)


def install_template_gettext(app):
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
        newstyle=True)
    # `_` and `gettext` (and {% trans %}) in one call instead of Jinja's three (its `_` calls
    # `gettext`, which calls the function above); a quarter of a page's rendering went there.
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)


@jinja2.pass_eval_context
def _template_gettext(eval_context, message, **variables):
    """Jinja's newstyle gettext: translated, marked safe when autoescaping, and always
    %-formatted (so "%%" means "%" with or without variables). A message without variables
    comes out the same every time for a language, so it is kept with its translations.

    It takes the evaluation context, not the template context: for a function that takes the
    latter, Jinja derives a new context on every call made in a loop or after a `{% set %}`
    in a block (a statement page made a dozen), and only autoescaping is needed here."""
    translations = _request_translations()
    autoescape = eval_context.autoescape
    if not variables:
        kept = getattr(translations, "_portal_plain", None)
        if kept is None:
            kept = translations._portal_plain = {}
        found = kept.get((message, autoescape))
        if found is None:
            translated = translations.ugettext(message)
            found = (Markup(translated) if autoescape else translated) % {}
            if len(kept) < 10_000:  # the templates' own messages; never grows without end
                kept[(message, autoescape)] = found
        return found
    translated = translations.ugettext(message)
    return (Markup(translated) if autoescape else translated) % variables


_LOCALES = {}


def select_locale():
    """The `lang` cookie's language, else Chinese. A parsed Locale (made once per language):
    Flask-Babel takes it as it is instead of parsing the name again on every request."""
    wanted = cookie("lang")
    name = wanted if wanted in ("zh_Hans_CN", "en") else "zh_Hans_CN"
    locale = _LOCALES.get(name)
    if locale is None:
        from babel import Locale

        locale = _LOCALES[name] = Locale.parse(name)
    return locale


def refuse_nul_bytes():
    """No text anyone types contains a NUL byte, and PostgreSQL cannot store one: refuse the
    request with a clear page instead of failing half-way (form fields and query alike)."""
    if request.method == "POST" and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        values = request.form.values()
    else:
        values = ()
    # The query is parsed only when there is one (most page views have none).
    query = request.args.values() if request.query_string else ()
    if any("\x00" in value for value in (request.path, *query, *values)):
        if request.path.startswith("/exchange/"):  # a machine interface answers in JSON
            return jsonify(error="no text may contain NUL bytes"), 400
        return render_error(400, NUL_IN_REQUEST)
    return None


def load_preferences():
    g.elder_mode = cookie("elder") == "1"
    # A terminal's browser carries this (set by the kiosk's start screen): kiosk layout.
    g.kiosk = cookie("kiosk") == "1"


def template_globals():
    # The app and `g` read once, not through their proxies for every value.
    context = _cv_app.get()
    config, state = context.app.config, vars(context.g)
    locale = presenters.current_language()
    kiosk = state.get("kiosk", False)
    return {
        "helpline": config["HELPLINE"],
        "reporting_phone": config["REPORTING_PHONE"],
        "supervision_phone": config["SUPERVISION_PHONE"],
        "html_lang": "zh-Hans-CN" if locale.startswith("zh") else "en",
        "current_locale": locale,
        "elder_mode": state.get("elder_mode", False),
        "kiosk": kiosk,
        "voice_on": speech.voice_on_for(kiosk),
        "voice_available": speech.engine() is not None,
    }


# Endpoints that answer with content that never changes under its address and say themselves
# how long it may be kept: fingerprinted static files and the statements' seal image.
OWN_CACHING = frozenset({"static", "resident.statement_seal"})


def security_headers(response):
    issuer = current_app.config["OIDC_ISSUER"] or ""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(issuer=issuer)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "geolocation=(), microphone=()"
    if current_app.config["PORTAL_ENV"] == "production":
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint not in OWN_CACHING:
        # Personal data must not survive in any cache or in the Back button after sign-out.
        response.headers["Cache-Control"] = "no-store"
    return response


BAD_REQUEST = (
    _l("The request could not be understood"),
    _l("Please go back and try again."),
)
ERROR_PAGES = {
    400: BAD_REQUEST,
    403: (_l("You do not have access to this page"),
          _l("If you think this is wrong, call the helpline.")),
    404: (_l("Page not found"), _l("Check the address, or start again from the home page.")),
    405: BAD_REQUEST,
    413: (_l("The file is too large"), _l("Go back and choose a smaller file.")),
    429: (_l("Too many attempts"), _l("Please wait a few minutes and try again.")),
    500: (_l("Sorry, there is a problem with the service"),
          _l("Nothing you entered has been saved half-way. Please try again later.")),
}
NUL_IN_REQUEST = (
    _l("The form contains characters that cannot be used"),
    _l("A field contained an invisible control character (NUL). Go back, type the text again "
       "and send the form once more."),
)
EXPIRED_FORM = (
    _l("This page has expired"),
    _l("For your security the form could not be sent. Go back, reload the page and try again."),
)


def render_error(code, texts):
    title, advice = texts
    return render_template("errors/error.html", title=title, advice=advice, code=code), code


def register_error_pages(app):
    def handler_for(code, texts):
        def handle(error):
            db.session.rollback()  # nothing half-done may be committed later in this request
            if code == 500:
                applog.log_unexpected(getattr(error, "original_exception", None) or error)
            return render_error(code, texts)

        return handle

    for code, texts in ERROR_PAGES.items():
        app.register_error_handler(code, handler_for(code, texts))

    def expired_form(_error):
        db.session.rollback()
        if session.get("timed_out"):
            # The form's token died with the session: say what really happened (ux.md).
            if request.referrer and request.referrer.startswith(request.host_url):
                session["next"] = "/" + request.referrer[len(request.host_url):]
            return render_template("public/timed_out.html", kept=False), 401
        return render_error(400, EXPIRED_FORM)

    app.register_error_handler(CSRFError, expired_form)
    app.register_error_handler(limits.TooMany, too_many_attempts)


def too_many_attempts(error):
    """Over an attempt limit or send quota: 429, and when to try again (Beijing time)."""
    from datetime import timedelta, timezone

    from .models import utcnow

    db.session.rollback()
    wait = max(error.resets_at - utcnow(), timedelta(0))
    minutes = int(wait.total_seconds() // 60) + 1
    at = error.resets_at.astimezone(timezone(timedelta(hours=8))).strftime("%H:%M")
    response = current_app.make_response((render_template(
        "errors/too_many.html", time=at, minutes=minutes), 429))
    response.headers["Retry-After"] = str(int(wait.total_seconds()) + 1)
    return response
