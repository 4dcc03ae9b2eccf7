"""Session expiry in the middle of a form: "为了安全，您已退出登录", a way to sign in again, and the
same page back with what was typed (ux.md, lessons from the second walk-through)."""

from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import Draft, Person
from tests.integration.helpers import age_sessions, csrf_token, local_path, make_resident, sign_in

QUESTION = "我去年的缴费什么时候能到账？已经过了三个月了。"


def test_a_page_posted_after_expiry_is_kept_and_comes_back_after_sign_in(client, app):
    resident = make_resident(app)
    sign_in(client, app, resident)
    page = client.get("/apply/question/step/question")
    assert page.status_code == 200
    token = csrf_token(page)
    with app.app_context():
        age_sessions(last_seen=timedelta(minutes=16))
    response = client.post("/apply/question/step/question",
                           data={"csrf_token": token, "question": QUESTION})
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "为了安全，您已退出登录" in html and "页面已过期" not in html
    assert "/auth/login" in html and "已为您保留" in html
    with app.app_context():
        person = db.session.scalar(select(Person).filter_by(id_number=resident["id_number"]))
        draft = db.session.scalar(select(Draft).filter_by(person_id=person.id, flow="question"))
        assert draft.answers["_unsent"] == {"step": "question", "fields": {"question": [QUESTION]}}
        db.session.remove()

    back = sign_in(client, app, resident)
    assert back.status_code == 302
    assert local_path(back.location) == "/apply/question/step/question"
    again = client.get("/apply/question/step/question").get_data(as_text=True)
    assert QUESTION in again

    # Sending it now saves it as an answer; the kept copy is gone.
    sent = client.post("/apply/question/step/question",
                       data={"csrf_token": csrf_token(client.get("/me/")), "question": QUESTION})
    assert sent.status_code == 302 and sent.location.endswith("/apply/question/check")
    with app.app_context():
        draft = db.session.scalar(select(Draft).filter_by(person_id=person.id, flow="question"))
        assert draft.answers == {"question": QUESTION}
        db.session.remove()


def test_nobody_else_can_post_into_a_draft_after_expiry(client, app):
    """Without the expired page's own form token nothing is kept: a stale cookie alone is not
    enough to write into someone's draft."""
    resident = make_resident(app)
    sign_in(client, app, resident)
    client.get("/apply/question/step/question")
    with app.app_context():
        age_sessions(last_seen=timedelta(minutes=16))
    response = client.post("/apply/question/step/question",
                           data={"csrf_token": "forged", "question": QUESTION})
    assert response.status_code == 401
    assert "为了安全，您已退出登录" in response.get_data(as_text=True)
    with app.app_context():
        person = db.session.scalar(select(Person).filter_by(id_number=resident["id_number"]))
        assert db.session.scalar(select(Draft).filter_by(person_id=person.id)) is None
        db.session.remove()


def test_a_signed_in_resident_with_a_stale_form_still_gets_the_expired_page(client, app):
    """No session ended: a bad token is what it always was (400, 页面已过期)."""
    resident = make_resident(app)
    sign_in(client, app, resident)
    response = client.post("/apply/question/step/question",
                           data={"csrf_token": "stale", "question": QUESTION})
    assert response.status_code == 400
    assert "已过期" in response.get_data(as_text=True)
