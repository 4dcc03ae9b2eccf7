"""Flask commands: migrations, demo data, housekeeping (`flask --app portal <command>`)."""

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from .extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(app):
    # Imported here: a web worker never migrates, and alembic costs every worker ~10 MB.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = app.config["DATABASE_URL"]
    config.attributes["keyring"] = app.extensions["portal_keyring"]
    return config


def upgrade_database(app) -> None:
    from alembic import command

    command.upgrade(alembic_config(app), "head")


def drop_everything(url: str) -> None:
    """Tests and the benchmark start from nothing, so migrations run from scratch. Never called
    by the application itself."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        else:
            for table in inspect(connection).get_table_names():
                connection.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
    engine.dispose()


# The yearly eligibility confirmation (第三十一条、第三十三条): three scheduled jobs, each also a
# command for cron or a person at the console. --day defaults to today in China.

def _run_eligibility_job(name: str, day: str | None) -> list:
    from .jobs import enqueue
    from .operations import eligibility  # noqa: F401  (registers the jobs)

    return enqueue(name, day, actor="system:cli")


@click.command("eligibility-silent")
@with_appcontext
@click.option("--day", default=None, help="YYYY-MM-DD, default today")
def eligibility_silent_command(day):
    """静默认证: confirm from the registries everyone coming due whom the data confirm."""
    click.echo(f"{len(_run_eligibility_job('eligibility.silent_confirmation', day))} confirmed "
               "from the registries")


@click.command("eligibility-reminders")
@with_appcontext
@click.option("--day", default=None, help="YYYY-MM-DD, default today")
def eligibility_reminders_command(day):
    """Remind pensioners whose yearly confirmation is coming due or overdue (message + SMS)."""
    click.echo(f"{len(_run_eligibility_job('eligibility.reminders', day))} reminded")


@click.command("eligibility-suspend-missed")
@with_appcontext
@click.option("--day", default=None, help="YYYY-MM-DD, default today")
def eligibility_suspend_command(day):
    """第三十三条: suspend from next month everyone past the grace period unconfirmed."""
    click.echo(f"{len(_run_eligibility_job('eligibility.suspend_missed', day))} suspended")


def init_app(app):
    for command_ in (eligibility_silent_command, eligibility_reminders_command,
                     eligibility_suspend_command):
        app.cli.add_command(command_)

    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Apply every Alembic migration (safe to run repeatedly)."""
        upgrade_database(app)
        click.echo("database is up to date")

    @app.cli.command("demo-load")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database has people.")
    def demo_load(if_empty):
        """Load the synthetic demo registry, regions, residents and staff."""
        from .demo import loader

        if app.config["PORTAL_ENV"] == "production":
            raise click.ClickException("demo data is never loaded in production")
        if if_empty and not loader.database_is_empty():
            click.echo("demo data already present")
            return
        counts = loader.load_demo()
        click.echo("loaded " + ", ".join(f"{n} {what}" for what, n in counts.items()))

    @app.cli.command("workday-override")
    @click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
    @click.argument("kind", type=click.Choice(["workday", "holiday"]))
    @click.option("--note", required=True, help="The notice this comes from.")
    def workday_override(day, kind, note):
        """Set one day as a working day or a day off (e.g. from next year's holiday notice)."""
        from .operations.calendar import set_override

        set_override(day.date(), kind == "workday", note, actor="system:cli", channel="system")
        click.echo(f"{day.date()} is now a {kind}")

    @app.cli.command("workday-status")
    @click.argument("year", type=int)
    def workday_status(year):
        """Say whether deadlines in YEAR rest on a confirmed holiday notice or may still move."""
        from datetime import date

        from .operations.calendar import workday_calendar

        calendar = workday_calendar()
        days = calendar.workdays_between(date(year - 1, 12, 31), date(year, 12, 31))
        click.echo(f"{year}: {days} working days; "
                   + ("holidays confirmed" if calendar.year_is_confirmed(year) else
                      "NOT confirmed – statutory holidays only, make-up workdays unknown; "
                      "deadlines may move until staff enter and confirm the notice"))

    @app.cli.command("flag-late-death-returns")
    @click.option("--today", help="The day to judge by (YYYY-MM-DD); China's today by default.")
    def flag_late_death_returns(today):
        """Flag to each township the villages without last month's death return by the 5th
        working day (第三十二条); run it daily. The job reports.flag_late_villages."""
        from .jobs import enqueue
        from .operations import assist  # noqa: F401  (registers the job)

        flagged = enqueue("reports.flag_late_villages", today)
        click.echo(f"{len(flagged)} villages flagged" + (": " + ", ".join(flagged)
                                                          if flagged else ""))

    @app.cli.command("import-contributions")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def import_contributions(path):
        """Book a tax department batch (CSV or JSON) into personal accounts (第十七条). The
        file is read as a stream: a tax year of millions of rows takes minutes, not memory."""
        from .operations import tax_import
        from .schemes import scheme_for

        kind = "application/json" if path.endswith(".json") else "text/csv"
        try:
            with open(path, "rb") as stream:
                batch, _new = tax_import.receive(stream, kind, received_by="system:cli")
        except tax_import.BadBatch as error:
            raise click.ClickException(str(error)) from error
        if batch.status == tax_import.BatchStatus.RECEIVED:
            batch = tax_import.book(batch.id, scheme_for(app.config["SCHEME_PROVINCE"]))
        click.echo(json.dumps(batch.report, ensure_ascii=False, indent=1))
        if batch.status == tax_import.BatchStatus.UNREADABLE:
            raise click.ClickException(f"batch unreadable: {batch.report.get('error')}")
        for number, tax_ref, reason in tax_import.refused_of(batch):
            click.echo(f"REFUSED row {number} {tax_ref}: {reason} – "
                       f"{tax_import.REASONS.get(reason, '')}")
        if batch.status != tax_import.BatchStatus.BOOKED:
            raise click.ClickException("batch rejected: nothing was booked")

    @app.cli.command("export-registrations")
    @click.argument("directory", type=click.Path(file_okay=False))
    def export_registrations(directory):
        """Write pending registrations for the tax department (第十三条) as one batch file."""
        from .operations.applications import china_today
        from .operations.tax_export import export_pending

        batch = export_pending(actor="system:cli", today=china_today())
        if batch is None:
            click.echo("nothing to send")
            return
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        (target / f"{batch.batch_no}.json").write_text(batch.content, encoding="utf-8")
        click.echo(f"{batch.batch_no}: {batch.row_count} registrations → "
                   f"{target / (batch.batch_no + '.json')}")

    @app.cli.command("import-registration-ack")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def import_registration_ack(path):
        """Apply the tax department's acknowledgement of a registration batch."""
        from .operations.tax_export import BadAcknowledgement, acknowledge

        try:
            report = acknowledge(json.loads(Path(path).read_text(encoding="utf-8")),
                                 actor="system:cli")
        except (BadAcknowledgement, json.JSONDecodeError) as error:
            raise click.ClickException(str(error)) from error
        click.echo(json.dumps(report, ensure_ascii=False))

    @app.cli.command("credit-interest")
    @click.argument("year", type=int)
    def credit_interest(year):
        """Credit YEAR's interest on every account (第十八条); running it twice credits once."""
        import sys

        from sqlalchemy import func, select

        from .models import PersonalAccount
        from .operations.applications import china_today
        from .operations.interest import CannotCredit, check_can_credit, credit_year
        from .schemes import scheme_for

        try:
            rate = check_can_credit(year, scheme_for(app.config["SCHEME_PROVINCE"]),
                                    china_today())
        except CannotCredit as error:
            raise click.ClickException(str(error)) from error
        accounts = db.session.scalar(select(func.count(PersonalAccount.id)))
        with click.progressbar(length=accounts, label=f"crediting {year} at {rate / 100}%",
                               file=sys.stderr if sys.stderr.isatty() else None) as bar:
            result = credit_year(year, rate, actor="system:cli", progress=bar.update)
        click.echo(f"{year}: {result['accounts']} accounts credited, "
                   f"{result['interest_fen'] / 100:.2f} yuan interest")

    @app.cli.command("pension-notices")
    @click.option("--months", default=3, show_default=True, help="how far ahead to look")
    def pension_notices(months):
        """Generate the 告知书 for residents reaching pension age soon (第二十二条)."""
        from .operations.applications import china_today
        from .operations.benefits import generate_notices
        from .schemes import scheme_for

        made = generate_notices(scheme_for(app.config["SCHEME_PROVINCE"]), china_today(),
                                months, actor="system:cli")
        click.echo(f"{len(made)} notices generated")

    @app.cli.command("compare-beneficiaries")
    def compare_beneficiaries_command():
        """Compare everyone receiving a pension with the death and prison records (第六条、
        第三十条、第三十四条): suspend, invite heirs, resume after release. Runs before every
        payment run too; schedule it daily or weekly on its own."""
        from .operations.applications import china_today
        from .operations.benefits import compare_beneficiaries

        found = compare_beneficiaries(china_today(), actor="system:cli")
        for item in found:
            click.echo(f"person {item['person_id']}: {item['reason']} {item['event_on']} → "
                       f"from {item['from']}")
        click.echo(f"{len(found)} found")

    @app.cli.command("pay-pensions")
    @click.argument("month")
    @click.argument("directory", type=click.Path(file_okay=False))
    def pay_pensions(month, directory):
        """Build MONTH's (YYYY-MM) payment list and bank file (第二十七条、第二十八条);
        running it again for the same month pays nothing twice."""
        from datetime import date

        from .operations.benefits import run_month

        try:
            first = date.fromisoformat(month + "-01")
        except ValueError as error:
            raise click.ClickException("MONTH is YYYY-MM") from error
        run = run_month(first, actor="system:cli")
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        (target / f"pensions-{month}.csv").write_text(run.bank_file, encoding="utf-8")
        click.echo(f"{month}: {run.payments} payments to {run.people} people, "
                   f"basic {run.basic_fen / 100:.2f} + account {run.account_fen / 100:.2f} yuan "
                   f"(待遇支付审批表) → {target / f'pensions-{month}.csv'}")

    @app.cli.command("import-bank-result")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def import_bank_result(path):
        """Mark payments paid or failed from the bank's answer (第二十九条)."""
        from .operations.benefits import BadBankFile
        from .operations.benefits import import_bank_result as apply_result

        try:
            report = apply_result(Path(path).read_text(encoding="utf-8"), actor="system:cli")
        except BadBankFile as error:
            raise click.ClickException(str(error)) from error
        click.echo(json.dumps(report))

    @app.cli.command("reissue-payments")
    @click.argument("directory", type=click.Path(file_okay=False))
    @click.option("--staff", "username", required=True,
                  help="The member of staff doing this step (第六十二条: two different people).")
    @click.option("--approve", "approval_id", type=int, default=None,
                  help="Approve the re-issue prepared earlier with this number and write its "
                       "bank file; without it, prepare the re-issue of every failed payment.")
    def reissue_payments(directory, username, approval_id):
        """Re-issue each failed payment once, as a supplementary bank file (第二十九条), in two
        steps by two members of staff (第六十二条): prepare, then --approve NUMBER."""
        from sqlalchemy import select

        from .models import StaffUser
        from .operations import approvals
        from .operations.applications import china_today
        from .operations.benefits import prepare_reissue, reissue_file, reissued_by

        staff = db.session.scalar(select(StaffUser).filter_by(username=username))
        if staff is None:
            raise click.ClickException(f"no member of staff {username!r}")
        if approval_id is None:
            # Staff act in their own county only (security.md), here as on the console.
            prepared = prepare_reissue(actor=staff.get_id(), county_code=staff.region_code)
            if prepared is None:
                click.echo("nothing to re-issue")
                return
            click.echo(f"{len(prepared.detail['payments'])} payments prepared for re-issue "
                       f"(number {prepared.id}); a different member of staff approves it: "
                       f"flask reissue-payments DIRECTORY --staff OTHER --approve {prepared.id}")
            return
        approval = approvals.in_county(approval_id, staff.region_code)
        if approval is None or approval.kind != "reissue":
            raise click.ClickException(f"no re-issue number {approval_id}")
        try:
            approvals.approve(approval, actor=staff.get_id(), channel="system", commit=True)
        except approvals.SamePerson as error:
            raise click.ClickException("you prepared this re-issue: a different member of "
                                       "staff approves it (第六十二条)") from error
        except approvals.NotOpen as error:
            raise click.ClickException("this re-issue is already approved") from error
        again = reissued_by(approval)
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        name = f"pensions-reissue-{china_today():%Y%m%d}-{approval.id}.csv"
        (target / name).write_text(reissue_file(again), encoding="utf-8")
        click.echo(f"{len(again)} payments re-issued → {target / name}")

    @app.cli.command("purge-sessions")
    def purge_sessions():
        """Delete web sessions past their idle timeout, and attempt counters long ended."""
        from .auth.sessions import purge_expired
        from .operations.limits import purge_ended

        click.echo(f"purged {purge_expired(app)} sessions")
        with app.app_context():
            click.echo(f"purged {purge_ended()} attempt counters")

    @app.cli.command("rotate-keys")
    def rotate_keys():
        """Re-seal every encrypted value under the newest key of DATA_ENCRYPTION_KEYS; after it,
        older keys may be removed from the configuration. Safe to run again."""
        from .crypto import rotate
        from .models import Base
        from .operations import audit

        ring = app.extensions["portal_keyring"]
        with db.engine.connect() as connection:
            counts = rotate(connection, Base.metadata, ring)
        audit.record("data_keys_rotated", actor="system:cli", channel="system",
                     detail={"key_id": ring.current, "values": sum(counts.values())})
        db.session.commit()
        for column, count in counts.items():
            if count:
                click.echo(f"{column}: {count} re-sealed")
        click.echo(f"every value is sealed with key {ring.current}")

    @app.cli.command("audit-verify")
    def audit_verify():
        """Check the audit log's hash chain; exit 1 when a record was altered or removed."""
        from .operations.audit import first_broken_link

        broken = first_broken_link()
        db.session.remove()
        if broken is not None:
            raise click.ClickException(f"audit chain broken at record {broken}")
        click.echo("audit chain intact")
