"""No code reaches a person: every status, kind, channel and event has a label in both languages,
and every code the portal writes is one of the labelled values."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import Babel, force_locale

from portal import constants
from portal.models import ledger as ledger_models
from portal.models.application import STATUSES

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "portal/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
MEMBERS = [(enum.__name__, member) for enum in constants.LABELLED for member in enum]


@pytest.fixture(scope="module")
def chinese():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="zh_Hans_CN")
    return {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}


@pytest.fixture(scope="module")
def babel_app():
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "portal/translations")
    Babel(app, default_locale="zh_Hans_CN")
    return app


@pytest.mark.parametrize(("enum", "member"), MEMBERS, ids=[f"{e}.{m.name}" for e, m in MEMBERS])
def test_every_value_has_a_label_in_both_languages(enum, member, chinese, babel_app):
    assert member.label is not None, f"{enum}.{member.name} has no label"
    msgid = member.label._args[0]
    assert chinese.get(msgid), f"{enum}.{member.name}: no Chinese for {msgid!r}"
    with babel_app.app_context():
        with force_locale("en"):
            english = str(member.label)
        with force_locale("zh_Hans_CN"):
            zh = str(member.label)
    assert english and english != member.value, f"{enum}.{member.name}: no English label"
    assert zh == chinese[msgid]
    assert re.search(r"[\u4e00-\u9fff]", zh), f"{enum}.{member.name}: {zh!r} is not Chinese"


def test_an_unknown_code_never_shows_itself(babel_app):
    with babel_app.app_context(), force_locale("en"):
        assert str(constants.Channel.label_of("teleport")) == "Other"


def test_every_application_status_is_labelled():
    assert set(STATUSES) <= {m.value for m in constants.ApplicationStatus}


def test_every_flow_is_a_labelled_kind():
    from portal.flows import views  # noqa: F401  (registers every flow)
    from portal.flows.engine import REGISTRY

    assert set(REGISTRY) <= {m.value for m in constants.ApplicationKind}


def test_every_ledger_kind_is_labelled():
    assert set(ledger_models.KINDS) <= {m.value for m in constants.LedgerKind}


def _source() -> str:
    return "\n".join(p.read_text() for p in (ROOT / "portal").rglob("*.py"))


def test_every_timeline_event_written_is_labelled():
    source = _source()
    assert not re.findall(r'record_event\(\s*\w+,\s*"', source), \
        "timeline events are written as constants.EventKind members, not strings"
    written = set(re.findall(r'record_event\(\s*\w+,\s*EventKind\.(\w+)', source))
    assert written, "the scan found no timeline events: the pattern is out of date"
    assert written <= {m.name for m in constants.EventKind}


def test_an_unlabelled_timeline_event_is_refused():
    from portal.operations.applications import record_event

    with pytest.raises(ValueError):
        record_event(object(), "teleported", "staff:1")


def test_every_lifecycle_is_declared_in_labelled_codes():
    """The lifecycle tables hold enum members only: every status an action starts from or
    leads to, and every event it writes, has its words for the resident."""
    from portal import lifecycle
    from portal.flows import declared  # noqa: F401  (registers every lifecycle)

    assert lifecycle.LIFECYCLES
    for kind, steps in lifecycle.LIFECYCLES.items():
        assert isinstance(kind, constants.ApplicationKind)
        for action in steps.actions:
            assert all(isinstance(s, constants.ApplicationStatus) for s in action.sources)
            for outcome in action.outcomes.values():
                assert isinstance(outcome.status, constants.ApplicationStatus)
                assert isinstance(outcome.event, constants.EventKind), (kind, action.name)
    with pytest.raises(ValueError):
        lifecycle.Outcome("teleported", "approved")


def test_every_channel_recorded_is_labelled():
    recorded = set(re.findall(r'audit\.(?:record|log)\([^)]*?channel="(\w+)"', _source(), re.S))
    assert recorded, "the scan found no channels: the pattern is out of date"
    assert recorded <= {m.value for m in constants.Channel}
