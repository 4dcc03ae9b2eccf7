"""Supervision and set-up by the county admin: 举报 (第六十六条), who looked at residents' data
(PIPL 第四十五条), self-service terminals, and the holiday calendar (maker–checker)."""

from datetime import date

from flask import (
    abort,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from .. import queries
from ..auth.staff import staff_required
from ..extensions import db
from ..flows import declared  # noqa: F401  (every flow's lifecycle)
from ..models import (
    FraudReport,
    KioskTerminal,
    Person,
    StaffUser,
)
from ..operations import (
    audit,
    calendar,
    kiosk,
    reports,
)
from ..rules import ids
from ..rules import workdays as grid
from ..rules.dates import china_today
from .forms import (
    CalendarYearForm,
    ConfirmYearForm,
    ReportOutcomeForm,
    TerminalForm,
)
from .views import (
    bp,
)

SUPERVISORS = ("admin",)


def _report_for_me(reference: str):

    item = db.session.scalar(reports.visible_to(current_user).filter_by(reference=reference))
    if item is None:
        abort(404)
    return item


@bp.get("/reports")
@staff_required(*SUPERVISORS)
def reports_queue():
    """举报 (第六十六条): the county's supervision queue, without reports naming the viewer."""

    rows = db.session.scalars(reports.visible_to(current_user)
                              .order_by(FraudReport.status.desc(), FraudReport.id)).all()
    return render_template("agency/reports.html", reports=rows)


@bp.route("/reports/<reference>", methods=["GET", "POST"])
@staff_required(*SUPERVISORS)
def report(reference):

    item = _report_for_me(reference)
    form = ReportOutcomeForm()
    if form.is_submitted():
        if item.status == "closed":
            abort(409)
        if form.validate():
            reports.close(item, form.outcome.data, current_user)
            return redirect(url_for(".reports_queue"))
    return render_template("agency/report.html", report=item, form=form), \
        400 if form.errors else 200


@bp.get("/data-access")
@staff_required("admin")
def data_access():
    """Who looked at residents' personal data in this county (PIPL 第四十五条, 第五十七条):
    staff views of full details and documents, newest first, 100 a page."""
    rows = audit.data_access_in(current_user.region_code,
                                before=request.args.get("before", type=int))
    return render_template("agency/data_access.html", rows=rows,
                           people=db.by_id(Person, (row.person_id for row in rows)),
                           staff=db.by_id(StaffUser, (row.staff_id for row in rows)),
                           mask=ids.mask, more=len(rows) == 100)


@bp.route("/terminals", methods=["GET", "POST"])
@staff_required("admin")
def terminals():
    """County admins register self-service terminals (their public keys) and revoke them."""

    form = TerminalForm()
    if form.validate_on_submit():
        if queries.terminal_with_device(form.device_id.data):
            form.device_id.errors.append(_("A terminal with this device id is already "
                                           "registered"))
        else:
            try:
                kiosk.register(form.device_id.data, form.name.data, current_user.region_code,
                               (form.public_key.data or "").strip(),
                               actor=current_user.get_id())
                return redirect(url_for(".terminals"))
            except kiosk.BadKey:
                db.session.rollback()
                form.public_key.errors.append(_("The public key must be a 32-byte Ed25519 key "
                                                "in base64"))
    rows = queries.terminals_in(current_user.region_code)
    return render_template("agency/terminals.html", terminals=rows, form=form), \
        400 if form.errors else 200


@bp.post("/terminals/<int:terminal_id>/revoke")
@staff_required("admin")
def revoke_terminal(terminal_id):

    terminal = db.session.get(KioskTerminal, terminal_id)
    if terminal is None or not terminal.region_code.startswith(current_user.region_code[:6]):
        abort(404)
    kiosk.revoke(terminal, actor=current_user.get_id())
    return redirect(url_for(".terminals"))


# The working-day calendar (第八、十、二十四、三十九、四十二条 count in working days) -----------

CALENDAR_KEEPERS = ("admin",)


def _calendar_year_in_range(year: int) -> None:
    """Last year to two years ahead: what a notice can still be entered for."""
    this_year = china_today().year
    if not this_year - 1 <= year <= this_year + 2:
        abort(404)


@bp.get("/calendar")
@staff_required(*CALENDAR_KEEPERS)
def calendar_years():
    """The years a deadline can fall in, and whether each rests on a confirmed notice."""
    this_year = china_today().year
    cal = calendar.workday_calendar()
    entered = {row.year: row for row in calendar.years_entered()}
    years = [(year, entered.get(year), cal.year_is_confirmed(year),
              cal.workdays_between(date(year - 1, 12, 31), date(year, 12, 31)))
             for year in range(this_year - 1, this_year + 3)]
    return render_template("agency/calendar_years.html", years=years)


def render_calendar_year(year: int, form=None, status=200, problem=None):
    cal = calendar.workday_calendar()
    record = calendar.year_of(year)
    makers = calendar.makers_of(year)
    months = [(date(year, month, 1), grid.month_grid(cal, year, month))
              for month in range(1, 13)]
    return render_template(
        "agency/calendar_year.html", year=year, record=record,
        form=form or _calendar_form(year, record), confirm_form=ConfirmYearForm(),
        months=months, problem=problem,
        confirmed=cal.year_is_confirmed(year), in_library=year <= grid.NOTICE_IN_LIBRARY_THROUGH,
        i_entered=current_user.get_id() in makers, who=_calendar_people(record, makers),
        workdays=cal.workdays_between(date(year - 1, 12, 31), date(year, 12, 31)),
        library_days_off=grid.as_ranges(grid.library_holidays(year))), status


def _calendar_form(year: int, record) -> CalendarYearForm:
    """The year's notice and its days as entered so far."""
    form = CalendarYearForm(year=year, meta={"csrf": False})
    entries = calendar.overrides_in(year)
    form.notice.data = record.notice if record else ""
    form.days_off.data = _as_lines(d.day for d in entries if not d.is_workday)
    form.workdays.data = _as_lines(d.day for d in entries if d.is_workday)
    return form


def _calendar_people(record, makers: set) -> dict:
    """The names of who entered the year and who confirmed it (maker–checker)."""
    actors = makers | ({record.confirmed_by} if record and record.confirmed_by else set())
    people = db.by_id(StaffUser, (int(actor.split(":")[1]) for actor in actors
                                  if actor.startswith("staff:")))
    return {person.get_id(): person.name for person in people.values()}


def _as_lines(days) -> str:
    return "\n".join(first.isoformat() if first == last else
                     f"{first.isoformat()} 至 {last.isoformat()}"
                     for first, last in grid.as_ranges(list(days)))


@bp.route("/calendar/<int:year>", methods=["GET", "POST"])
@staff_required(*CALENDAR_KEEPERS)
def calendar_year(year):
    """Maker: enter a year's notice (days off and make-up working days); everyone sees the year
    as a calendar. Open applications' dates are counted again at once."""
    _calendar_year_in_range(year)
    if request.method == "GET":
        return render_calendar_year(year)
    form = CalendarYearForm(year=year)
    if not form.validate():
        return render_calendar_year(year, form, 400)
    calendar.enter_year(year, form.parsed["days_off"], form.parsed["workdays"],
                        form.notice.data, actor=current_user.get_id(), channel="console")
    return redirect(url_for(".calendar_year", year=year), 303)


@bp.post("/calendar/<int:year>/confirm")
@staff_required(*CALENDAR_KEEPERS)
def confirm_calendar_year(year):
    """Checker: a different member of staff confirms the days match the notice (refused in the
    operation for anyone who entered any of them)."""
    _calendar_year_in_range(year)
    if not ConfirmYearForm().validate():
        abort(400)
    try:
        calendar.confirm_year(year, actor=current_user.get_id(), channel="console")
    except calendar.SamePerson:
        return render_calendar_year(year, status=403, problem=_(
            "You entered days of this year's notice, so a different member of staff must "
            "confirm it."))
    except calendar.CalendarRefused:
        db.session.rollback()
        return render_calendar_year(year, status=409, problem=_(
            "There is nothing to confirm: the year is not entered, or someone has already "
            "confirmed it."))
    return redirect(url_for(".calendar_year", year=year), 303)
