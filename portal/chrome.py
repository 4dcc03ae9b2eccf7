"""The page chrome: the header with its display-preference and sign-out forms, the idle dialogs,
the footer and the asset links. They are the same on every page for the same language and display
preferences, so each is rendered once per combination and reused; the two values that differ per
request (the form token and the address to come back to) are put in afterwards. A page then spends
its time on its own content (issue 19: pages that cost almost nothing to serve).

A fragment may use only what its key holds (`_key`): language, 长辈版, kiosk, voice guidance and
whether someone is signed in, besides the app's configuration.
"""

from flask import current_app, request, session
from flask.globals import _cv_app
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from . import speech
from .auth.sessions import ANONYMOUS_KEYS
from .presenters import current_language

# Stand-ins for the per-request values: private-use characters that no template, translation or
# configuration value contains, and that HTML escaping leaves alone.
CSRF_MARK = "\ue000csrf\ue000"
RETURN_MARK = "\ue000return\ue000"


MAX_KEPT = 64  # per kind of fragment: a few languages × preferences × states


def kept(store: str, key: tuple, render, keep=lambda _value: True):
    """`render()`'s result for `key`, made once and kept in the app (`store` names the kind of
    fragment), unless `keep(result)` says no, templates reload while being edited, or the store
    already holds MAX_KEPT (a key that varies more than expected must not grow it without end)."""
    found = current_app.extensions.setdefault(store, {})
    value = found.get(key)
    if value is None:
        value = render()
        if keep(value) and not current_app.jinja_env.auto_reload and len(found) < MAX_KEPT:
            found[key] = value
    return value


def _key(name: str, locale: str) -> tuple:
    # Read from the request's `g` itself rather than through the context proxies: a page asks
    # for three fragments. Flask-Login keeps the request's user there once it has loaded it.
    state = vars(_cv_app.get().g)
    user = state.get("_login_user")
    if user is None:
        user = current_user._get_current_object()
    kiosk = state.get("kiosk", False)
    voice = speech.voice_on_for(kiosk)
    return (name, locale, state.get("elder_mode", False), kiosk, speech.engine() is not None,
            voice, bool(user and user.is_authenticated))


def chrome(name: str) -> Markup:
    """The fragment `name` for this request (a template global used by layouts/base.html)."""
    locale = current_language()
    key = _key(name, locale)
    html = kept("portal_chrome", key, lambda: current_app.jinja_env.get_template(name).render(
        csrf=CSRF_MARK, return_to=RETURN_MARK, current_locale=locale,
        elder_mode=key[2], kiosk=key[3], voice_available=key[4], voice_on=key[5],
        current_user=current_user, helpline=current_app.config["HELPLINE"],
        reporting_phone=current_app.config["REPORTING_PHONE"],
        supervision_phone=current_app.config["SUPERVISION_PHONE"]))
    if CSRF_MARK in html:
        html = html.replace(CSRF_MARK, generate_csrf())
    if RETURN_MARK in html:
        html = html.replace(RETURN_MARK, str(escape(
            request.full_path if request.method == "GET" else "/")))
    return Markup(html)


def init_app(app) -> None:
    app.jinja_env.globals["chrome"] = chrome


def cached_for_visitors(view):
    """A public page that is the same for every visitor who is not signed in: rendered once per
    language and display preference and then served from memory, with this request's form token
    put in. Signed-in people, visitors whose session holds anything (a "signed out after
    inactivity" notice, a sign-in under way) and addresses with a query string always get the page
    rendered afresh."""
    from functools import wraps

    @wraps(view)
    def serve(*args, **kwargs):
        if (request.query_string or set(session) - ANONYMOUS_KEYS
                or (current_user and current_user.is_authenticated)):
            return view(*args, **kwargs)
        token = generate_csrf()

        def render():
            page = view(*args, **kwargs)
            return page.replace(token, CSRF_MARK) if isinstance(page, str) else page

        page = kept("portal_pages", (request.endpoint, *_key("page", current_language())),
                    render, keep=lambda page: isinstance(page, str))
        if not isinstance(page, str):
            return page  # a redirect or an error: never kept
        return page.replace(CSRF_MARK, token)

    return serve
