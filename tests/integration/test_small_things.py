"""Small things from the walk-through: favicon, the most chosen levels first with 更多档次, the
assistant's consent form inputs per method, the demo consent code on the page."""

import re
from datetime import date

from sqlalchemy import delete, func, select

from portal.extensions import db
from portal.models import InsuranceRelation, Person
from portal.operations.residents import most_chosen_tiers
from portal.rules import ids
from tests.integration.helpers import (
    VILLAGE,
    assistant,
    latest_sms,
    make_resident,
    registry_id,
    sign_in,
)


def test_favicon(client):
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'rel="icon"' in page and "favicon" in page
    icon = client.get("/favicon.ico")  # served at the root, no redirect (issue 19)
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_the_most_chosen_levels_come_first_and_the_rest_behind_more(client, app, enrolled):
    with app.app_context():
        busiest = max(db.session.execute(
            select(func.count()).select_from(InsuranceRelation)
            .filter_by(status="contributing")
            .group_by(InsuranceRelation.contribution_tier_fen)).scalars().all() or [0])
        for number in range(busiest + 1):  # more people pay ¥3,000 a year than any other
            person = Person(id_type=ids.RESIDENT_ID, name=f"档次{number}",
                            id_number=ids.compose_resident_id("539901", date(1985, 1, 3),
                                                              100 + number))
            db.session.add(person)
            db.session.flush()
            db.session.add(InsuranceRelation(person_id=person.id, region_code="539901000000",
                                             status="contributing", started_on=date(2020, 1, 1),
                                             contribution_tier_fen=300000))
        db.session.commit()
        db.session.remove()
    sign_in(client, app, enrolled)
    page = client.get("/apply/tier_choice/step/tier").get_data(as_text=True)
    first, _, rest = page.partition('<details class="more-options"')
    assert rest, "no 更多档次"
    assert "更多档次" in rest
    shown_first = re.findall(r'name="tier" value="(\d+)"', first)
    assert 3 <= len(shown_first) <= 4
    assert "300000" in shown_first
    assert re.findall(r'name="tier" value="(\d+)"', rest)  # the others are one tap away
    with app.app_context():
        offered = [int(v) for v in re.findall(r'name="tier" value="(\d+)"', page)]
        assert most_chosen_tiers(offered)[0] == 300000
        # Leave the shared database's level ranking as it was for the other tests.
        for person in db.session.scalars(select(Person).filter(Person.name.like("档次%"))):
            db.session.execute(delete(InsuranceRelation).filter_by(person_id=person.id))
            db.session.delete(person)
        db.session.commit()
        db.session.remove()


def test_the_consent_form_marks_each_methods_inputs(app):
    client = assistant(app)
    villager = make_resident(app, village=VILLAGE)  # not the demo villager: her consents stay
    page = client.get(f"/assist/residents/{registry_id(app, villager['id_number'])}")
    html = page.get_data(as_text=True)
    assert 'class="consent-form"' in html and "evidence-field" in html
    css = app.test_client().get("/static/css/portal.css").get_data(as_text=True)
    assert ".consent-form:has(#method-sms:checked) .evidence-field { display: none; }" in css


def test_demo_mode_shows_the_consent_code_on_the_page(app):
    client = assistant(app)
    villager = make_resident(app, village=VILLAGE)
    page = client.get(f"/assist/residents/{registry_id(app, villager['id_number'])}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post(page.request.path, data={
        "csrf_token": token, "flow": "details_change", "reason": "illness", "method": "sms"})
    assert response.status_code == 302 and "/code" in response.location
    code_page = client.get(response.location).get_data(as_text=True)
    code = re.search(r"\d{6}", latest_sms(app, villager["phone"])).group(0)
    assert code in code_page.split('class="notice')[1]
