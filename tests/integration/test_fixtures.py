"""The test fixtures themselves: every module works on its own copy of the migrated, demo-loaded
database, so what one module leaves behind never reaches another; helpers come as fixtures."""

from datetime import date

from sqlalchemy import func, select

from conftest import app_config
from portal import create_app
from portal.extensions import db
from portal.models import RegistryPerson, StaffUser
from tests.integration.helpers import registry_id


def test_a_module_gets_a_copy_of_the_template(app, database_template):
    instance, databases = database_template
    assert app.config["DATABASE_URL"] != databases._url("template")
    with app.app_context():
        assert db.session.scalar(select(StaffUser.id).filter_by(username="reviewer.qingshan"))
        db.session.remove()


def test_what_a_module_writes_stays_in_its_own_database(app, database_template, live_url):
    """A row written here is absent from the next module's copy (made here the same way)."""
    instance, databases = database_template
    with app.app_context():
        db.session.add(RegistryPerson(
            id_type="resident_id", id_number="539901199001019999", name="留痕测试",
            sex="F", birth_date=date(1990, 1, 1), hukou_region_code="539901100201",
            alive=True))
        db.session.commit()
        db.session.remove()
    assert registry_id(app, "539901199001019999") is not None
    url = databases.copy()
    other = create_app(app_config(instance, url, live_url))
    try:
        with other.app_context():
            assert db.session.scalar(select(func.count(RegistryPerson.id)).filter_by(
                name="留痕测试")) == 0
            assert db.session.scalar(select(func.count(StaffUser.id))) > 0  # demo data there
            db.session.remove()
    finally:
        other.extensions["portal_engine"].dispose()
        databases.drop(url)


def test_helpers_come_as_fixtures(new_person, staff_client, resident_client, url, html_page):
    person = new_person()
    home = html_page(resident_client(person).get(url("resident.home")))
    assert home.status_code == 200 and person["name"] in home.main.text
    queue = staff_client("reviewer.qingshan").get(url("agency.queue"))
    assert queue.status_code == 200
