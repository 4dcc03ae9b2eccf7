"""Plain words for codes, dates and money, shared by resident, assistant and agency pages."""

from datetime import date, datetime
from functools import lru_cache

from flask.globals import _cv_app
from flask_babel import format_currency, format_date, get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from . import constants
from .constants import ApplicationKind, ApplicationStatus, EventKind, LedgerKind

ROLE_LABELS = {
    "village_assistant": _l("Village assistant (村协办员)"),
    "township_clerk": _l("Township office staff (乡镇事务所)"),
    "county_reviewer": _l("County agency reviewer (经办)"),
    "county_checker": _l("County agency checker (复核)"),
    "admin": _l("County agency administrator"),
}

ACCESS_PURPOSES = {
    "review_application": _l("Reviewing your application"),
    "download_document": _l("Opening a document you uploaded"),
}


def current_locale():
    """flask_babel.get_locale(), read where Flask-Babel keeps it once it has chosen it for this
    app context (force_locale included): its own get_locale goes through three context proxies,
    and a page asks for the language a score of times (every amount, date and fragment)."""
    context = _cv_app.get(None)
    if context is not None:
        locale = getattr(vars(context.g).get("_flask_babel"), "babel_locale", None)
        if locale is not None:
            return locale
    return get_locale()


_LANGUAGE_NAMES: dict = {}  # id(locale) → (locale, its name); the locale kept so no id is reused


def current_language() -> str:
    """The name of this request's language ("zh_Hans_CN", "en"): str(current_locale()), which
    Babel builds anew from the locale's parts on every call (a page asks a score of times)."""
    locale = current_locale()
    if locale is None:  # outside a request, before Flask-Babel is set up
        return ""
    found = _LANGUAGE_NAMES.get(id(locale))
    if found is None or found[0] is not locale:
        if len(_LANGUAGE_NAMES) >= 64:  # a few languages; force_locale may make more objects
            _LANGUAGE_NAMES.clear()
        found = _LANGUAGE_NAMES[id(locale)] = (locale, str(locale))
    return found[1]


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)


def access_purpose(purpose: str) -> str:
    return ACCESS_PURPOSES.get(purpose, purpose)


def _kept_per_language(store: dict, bound: int, key: tuple, make):
    """`make()` for `key` in this request's language, made once and kept in `store` (up to
    `bound` entries: never without end)."""
    key = (current_language(), *key)
    found = store.get(key)
    if found is None:
        found = make()
        if len(store) < bound:
            store[key] = found
    return found


_KIND_LABELS: dict = {}


def ledger_kind(kind: str) -> str:
    """The kind's label in this request's language, translated once per language (a statement
    names a kind on every line, and a lazy label is translated again each time)."""
    # A dozen kinds in a few languages.
    return _kept_per_language(_KIND_LABELS, 1_000, (kind,),
                              lambda: str(LedgerKind.label_of(kind)))


_DATE_LABELS: dict = {}


def date_label(day: date, format: str = "medium") -> str:
    """flask_babel.format_date of a calendar date, kept per language and format: a date reads
    the same every time, and Babel formats it anew on each call (~40 µs; a statement shows one
    per line). Datetimes go to Babel every time (they are moved into the user's time zone)."""
    if type(day) is not date:
        return format_date(day, format)
    # Every day of a few decades in two languages.
    return _kept_per_language(_DATE_LABELS, 50_000, (day, format),
                              lambda: format_date(day, format))


def yuan(fen: int) -> str:
    """Fen as the locale's CNY amount (¥1,234.56, CN¥1,234.56), exactly as Babel formats it.

    Babel parses and applies the currency pattern on every call (~15 µs; a statement shows one
    per line). The locale's pattern is instead taken apart once into sign, symbol and separators
    and reused, but only if it then reproduces Babel on sample amounts; otherwise Babel it is."""
    language = current_language()
    parts = _yuan_parts(language) if language else None
    if parts is None or not isinstance(fen, int) or abs(fen) >= _YUAN_FAST_LIMIT:
        return format_currency(fen / 100, "CNY")
    return _yuan_fast(fen, parts)


# Below this, fen / 100 as a float and Babel's rounding give exactly the integer arithmetic's
# digits (10 000 000 000 yuan: more than a province's fund).
_YUAN_FAST_LIMIT = 10**12


def _yuan_fast(fen: int, parts: tuple[str, str, str, str, str, str]) -> str:
    before, after, minus_before, minus_after, group, decimal = parts
    whole, cents = divmod(abs(fen), 100)
    digits = f"{whole:,}".replace(",", group) + decimal + f"{cents:02d}"
    return (minus_before + digits + minus_after) if fen < 0 else (before + digits + after)


@lru_cache(maxsize=16)
def _yuan_parts(locale_name: str) -> tuple[str, str, str, str, str, str] | None:
    from babel import Locale
    from babel.numbers import format_currency, get_decimal_symbol, get_group_symbol

    locale = Locale.parse(locale_name)

    def babel(fen: int) -> str:
        return format_currency(fen / 100, "CNY", locale=locale)

    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    sample = f"1{group}234{group}567{decimal}89"
    plus, minus = babel(123456789), babel(-123456789)
    if plus.count(sample) != 1 or minus.count(sample) != 1:
        return None
    parts = (*plus.split(sample), *minus.split(sample), group, decimal)
    probes = (0, 1, -1, 9, 10, 99, 100, -100, 101, 12345, -50000, 99999, 100000, 123456789,
              -987654321, 100000000000, _YUAN_FAST_LIMIT - 1, -(_YUAN_FAST_LIMIT - 1))
    if any(_yuan_fast(fen, parts) != babel(fen) for fen in probes):
        return None
    return parts


def status_label(status: str) -> str:
    return ApplicationStatus.label_of(status)


def event_text(event) -> str:
    return EventKind.label_of(event.kind)


def kind_label(kind: str) -> str:
    """The service an application is for, e.g. 参保登记."""
    return ApplicationKind.label_of(kind)


def actor_label(actor: str | None) -> str:
    """"staff:4" → staff: who did it, by kind (names are on the staff's own records)."""
    return constants.FiledBy.label_of((actor or "").partition(":")[0])


def label(enum: type[constants.Labelled], value) -> str:
    return enum.label_of(value)


def _as_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def day(value) -> str:
    """A date as people write it: 2026年11月23日 / 23 November 2026 (also from ISO strings)."""
    value = _as_date(value)
    return format_date(value, "long") if value else ""


def year_month(value) -> str:
    """A month: 2026年11月 / November 2026."""
    from babel.dates import format_skeleton

    value = _as_date(value)
    return format_skeleton("yMMMM", value, locale=get_locale()) if value else ""


def grouped(reference: str | None) -> str:
    """A long number in groups of four (5399 0126 1126 4155 2): read aloud, typed and wrapped
    safely on a 360 px screen (ux.md)."""
    text = "".join(str(reference or "").split())
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def region_name(code: str | None) -> str:
    from .regions import region_path

    return (region_path(code) or code or "") if code else ""


@lru_cache(maxsize=256)
def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (no image request, works offline and in print): the compact
    drawing of the statements' codes, a few KB each, so this cache stays under a megabyte."""
    from .documents.verification import qr_svg as draw

    return Markup(draw(url))


def template_helpers() -> dict:
    helpers = {"status_label": status_label, "event_text": event_text, "ledger_kind": ledger_kind,
               "kind_label": kind_label, "label": label, "actor_label": actor_label, "day": day,
               "year_month": year_month, "role_label": role_label,
               "access_purpose": access_purpose,
               "grouped": grouped, "yuan": yuan, "region_name": region_name}
    helpers.update({enum.__name__: enum for enum in constants.LABELLED})
    return helpers
