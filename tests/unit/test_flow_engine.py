"""The guided-flow engine's navigation, independent of any page (portal/flows/engine.py)."""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import StringField

from portal.flows.engine import Context, Flow, Step


class AForm(FlaskForm):
    a = StringField()


class BForm(FlaskForm):
    b = StringField()


class CForm(FlaskForm):
    c = StringField()


def make_flow():
    return Flow(
        name="test", title="t", intro="i", declaration="d", deadline_workdays=3,
        deadline_article="第八条", obstacles=lambda ctx: [], obstacle_text={},
        known_facts=lambda ctx: [], next_steps="n",
        steps=[
            Step("first", AForm, "A?", summary=lambda a, c: a["a"],
                 stops=lambda a: "stop" if a.get("a") == "stop" else None),
            # only asked when the first answer is "yes"
            Step("second", BForm, "B?", summary=lambda a, c: a["b"],
                 condition=lambda a, c: a.get("a") == "yes"),
            Step("third", CForm, "C?", summary=lambda a, c: a["c"]),
        ],
    )


CTX = Context(person=None, today=date(2026, 11, 24), comparison={}, scheme={})


def test_fields_of_a_step():
    assert make_flow().step("second").fields() == ["b"]


def test_conditions_decide_the_path():
    flow = make_flow()
    assert [s.name for s in flow.visible_steps({"a": "no"}, CTX)] == ["first", "third"]
    assert [s.name for s in flow.visible_steps({"a": "yes"}, CTX)] == ["first", "second", "third"]
    assert flow.next_step("first", {"a": "no"}, CTX).name == "third"
    assert flow.next_step("first", {"a": "yes"}, CTX).name == "second"
    assert flow.next_step("third", {"a": "no", "c": "x"}, CTX) is None
    assert flow.next_step(None, {}, CTX).name == "first"


def test_back_goes_to_the_previous_visible_step():
    flow = make_flow()
    assert flow.previous_step("third", {"a": "no"}, CTX).name == "first"
    assert flow.previous_step("third", {"a": "yes"}, CTX).name == "second"
    assert flow.previous_step("first", {}, CTX) is None


def test_first_unanswered_resumes_where_the_resident_stopped():
    flow = make_flow()
    assert flow.first_unanswered({}, CTX).name == "first"
    assert flow.first_unanswered({"a": "yes"}, CTX).name == "second"
    assert flow.first_unanswered({"a": "no"}, CTX).name == "third"
    assert flow.first_unanswered({"a": "no", "c": "x"}, CTX) is None


def test_answers_of_hidden_steps_are_dropped():
    flow = make_flow()
    answers = {"a": "no", "b": "stale", "c": "x"}
    assert flow.relevant_answers(answers, CTX) == {"a": "no", "c": "x"}


def test_a_stopping_answer_names_its_reason():
    flow = make_flow()
    assert flow.stop_reason({"a": "stop"}, CTX) == "stop"
    assert flow.stop_reason({"a": "yes"}, CTX) is None
