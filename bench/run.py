"""Benchmark of the personal account: fill, tax import, interest crediting, statement latency.

    .venv/bin/python -m bench.run --residents 100000 --years 5

Fills the database (DATABASE_URL, or a SQLite file in a temporary folder) with synthetic residents
and their contribution history, then measures the three things the account part must do at scale:
booking a tax department batch (rows/s), crediting a year's interest on every account (seconds),
and serving the yearly statement page to signed-in residents under concurrent load (p50/p95/p99).
All traffic stays on 127.0.0.1. See bench/README.md for the numbers measured on this machine.
"""

import argparse
import hashlib
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    Table,
    bindparam,
    create_engine,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
)

from portal import create_app
from portal.cli import drop_everything, upgrade_database
from portal.config import database_url
from portal.crypto import blind_index
from portal.demo.loader import demo_data
from portal.extensions import db, login_manager
from portal.models import LedgerEntry, Person, PersonalAccount, Region, WebSession
from portal.models.base import UTCDateTime
from portal.operations import ledger, ledger_partitions
from portal.operations.applications import china_today
from portal.operations.interest import counties_to_credit, credit_year
from portal.operations.tax_import import import_batch
from portal.rules import contributions, ids
from portal.rules.interest import rate_for
from portal.schemes import scheme_for

# The demo's unassigned county codes (README "Demo data"): no real person has these numbers.
COUNTIES = {"539901": "539901100201", "539902": "539902100201"}  # county → a village in it
FIRST_BIRTH = date(1960, 1, 1)
BIRTH_DAYS = 16_000  # birth dates spread over ~44 years
FIRST_SEQUENCE = 900  # demo people and tests use lower sequence numbers, so none collide
MAX_RESIDENTS = (1000 - FIRST_SEQUENCE) * BIRTH_DAYS * len(COUNTIES)
SLOTS = 36  # account id % SLOTS picks the tier and the day of the year a resident pays on
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
USER_AGENT = "portal-bench/1"
ROOT = Path(__file__).resolve().parents[1]
CHUNK = 50_000


def log(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------------
# Database and app


def has_tables(url: str) -> bool:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = bool(inspect(connection).get_table_names())
    engine.dispose()
    return found


def free_port() -> int:
    # The app must know its own URL (statement QR codes link to it) before it exists.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Fill


def synthetic_person(number: int, now: datetime) -> dict:
    """Resident number `number` (0-based): a valid GB 11643 number in an unassigned county."""
    county = sorted(COUNTIES)[number % len(COUNTIES)]
    born = FIRST_BIRTH + timedelta(days=(number // len(COUNTIES)) % BIRTH_DAYS)
    sequence = FIRST_SEQUENCE + number // (len(COUNTIES) * BIRTH_DAYS)
    given = GIVEN[number % len(GIVEN)] + GIVEN[(number // len(GIVEN)) % len(GIVEN)]
    id_number = ids.compose_resident_id(county, born, sequence)
    return {
        "id_type": ids.RESIDENT_ID,
        "id_number": id_number,
        "id_number_hash": blind_index(id_number),  # bulk inserts skip Person's own hashing
        "name": SURNAMES[(number // 7) % len(SURNAMES)] + given,
        "sex": "M" if sequence % 2 else "F",  # the 17th digit: odd for men (GB 11643)
        "birth_date": born,
        "phone": f"138{number:08d}",
        "phone_hash": blind_index(f"138{number:08d}"),
        "hukou_region_code": COUNTIES[county],
        "created_at": now,
    }


def ensure_regions() -> None:
    """The demo's synthetic region tree (counties 539901 and 539902), where missing."""
    present = set(db.session.scalars(select(Region.code)))
    for region in demo_data()["regions"]:
        if region["code"] not in present:
            db.session.add(Region(code=region["code"], name=region["name"],
                                  name_en=region["name_en"], level=region["level"],
                                  parent_code=region["parent"]))
    db.session.commit()


def fill(residents: int, years: list[int], scheme: dict) -> dict:
    """Persons in chunks of executemany; everything else set-based (INSERT … SELECT)."""
    if residents > MAX_RESIDENTS:
        raise SystemExit(f"at most {MAX_RESIDENTS} synthetic residents")
    session = db.session
    now = datetime.now(UTC)
    started = date(years[0], 1, 1)
    ensure_regions()
    after = {table: session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}"))
             for table in ("person", "insurance_relation", "personal_account")}
    timings = {}

    clock = time.perf_counter()
    for low in range(0, residents, CHUNK):
        rows = [synthetic_person(n, now) for n in range(low, min(low + CHUNK, residents))]
        session.execute(insert(Person), rows)
        session.commit()
    timings["persons"] = time.perf_counter() - clock

    clock = time.perf_counter()
    typed = [bindparam("now", type_=UTCDateTime()), bindparam("started", type_=Date())]
    # ORDER BY keeps relation and account ids in person order (dense ranges for the batches).
    session.execute(text(
        "INSERT INTO insurance_relation (person_id, region_code, status, started_on, created_at) "
        "SELECT id, substr(hukou_region_code, 1, 6) || '000000', 'contributing', :started, :now "
        "FROM person WHERE id > :after ORDER BY id").bindparams(*typed),
        {"now": now, "started": started, "after": after["person"]})
    session.execute(text(
        "INSERT INTO personal_account (person_id, relation_id, opened_on) "
        "SELECT person_id, id, started_on FROM insurance_relation WHERE id > :after ORDER BY id"),
        {"after": after["insurance_relation"]})
    session.commit()
    timings["relations_and_accounts"] = time.perf_counter() - clock

    # A small helper table says, per year and slot, what a resident pays and on which day; each
    # year is then two INSERT … SELECT statements (contribution and subsidy) over all accounts.
    slot_table = Table("bench_slot", MetaData(), Column("year", Integer), Column("slot", Integer),
                       Column("amount_fen", Integer), Column("subsidy_fen", Integer),
                       Column("booked_on", Date))
    slot_table.drop(session.connection(), checkfirst=True)
    slot_table.create(session.connection())
    slots = []
    for year in years:
        tiers = contributions.tiers(scheme, year)[:5]  # the common lower tiers
        for slot in range(SLOTS):
            slots.append({"year": year, "slot": slot, "amount_fen": tiers[slot % len(tiers)]
                          .amount_fen, "subsidy_fen": tiers[slot % len(tiers)].subsidy_fen,
                          "booked_on": date(year, 1 + slot % 12, 5 + slot % 20)})
    session.execute(insert(slot_table), slots)
    session.commit()
    ledger_partitions.ensure(years)  # PostgreSQL: each history year in its own partition
    clock = time.perf_counter()
    ledger_rows = 0
    for year in years:
        for kind, amount, suffix in (("personal", "amount_fen", ""),
                                     ("subsidy", "subsidy_fen", ":subsidy")):
            result = session.execute(text(
                "INSERT INTO ledger_entry (account_id, kind, amount_fen, booked_on, year, "
                "source_key, created_at) "
                f"SELECT a.id, '{kind}', s.{amount}, s.booked_on, s.year, "
                "'tax:B' || s.year || '-' || a.id || :suffix, :now "
                "FROM personal_account a JOIN bench_slot s ON s.slot = a.id % :slots "
                "WHERE a.id > :after AND s.year = :year").bindparams(typed[0]),
                {"now": now, "slots": SLOTS, "after": after["personal_account"], "year": year,
                 "suffix": suffix})
            ledger_rows += result.rowcount
        session.commit()
    slot_table.drop(session.connection())
    session.commit()
    timings["ledger"] = time.perf_counter() - clock
    # Fresh planner statistics, as autovacuum would have them on a database that grew slowly.
    clock = time.perf_counter()
    session.execute(text("ANALYZE"))
    session.commit()
    timings["analyze"] = time.perf_counter() - clock
    return {"after_person": after["person"], "ledger_rows": ledger_rows, "seconds": timings}


def credit_prior_years(years: list[int], scheme: dict) -> dict:
    """Interest for every year but the last, with the real credit_year (notifications off: these
    years are history; the measured run below has them on)."""
    seconds = {}
    for year in years[:-1]:
        clock = time.perf_counter()
        result = credit_year(year, rate_for(scheme, year), actor="system:bench", notify=False)
        seconds[year] = round(time.perf_counter() - clock, 2)
        log(f"  interest {year}: {result['accounts']} accounts in {seconds[year]:.1f} s")
    return seconds


# ---------------------------------------------------------------------------------------------
# Interest crediting: one process (credit_year), then one process per county (credit_county)


def _undo_crediting(year: int, url: str) -> None:
    """Take back what the measured crediting wrote (the year's interest and the statement
    notices), so the county-parallel run credits the same accounts from the same state."""
    session = db.session
    session.execute(text("DELETE FROM ledger_entry WHERE kind = 'interest' AND year = :year"),
                    {"year": year})
    session.execute(text("DELETE FROM outbox_message WHERE kind = 'statement_ready'"))
    session.commit()
    if url.startswith("postgresql"):
        with create_engine(url, isolation_level="AUTOCOMMIT").connect() as connection:
            connection.execute(text("VACUUM ANALYZE ledger_entry"))
            connection.execute(text("VACUUM ANALYZE outbox_message"))
            connection.execute(text("CHECKPOINT"))


CREDIT_CHILD = """
import json, os, sys, time
from portal import create_app
from sqlalchemy import text
from portal.extensions import db
from bench.run import _spent, backend_cpu
year, rate, county, start_at = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
app = create_app()
with app.app_context():
    from portal.operations.interest import credit_county
    db.session.execute(text("SELECT 1"))
    db.session.commit()
    time.sleep(max(0.0, start_at - time.time()))
    before = backend_cpu(os.environ["PGAPPNAME"])  # this process's backends only
    began, cpu = time.time(), time.process_time()
    result = credit_county(year, rate, county, notify=True, actor="system:bench")
    ended = time.time()
    result.update(started=began, ended=ended, process_cpu_s=time.process_time() - cpu,
                  db_cpu_s=_spent(before, backend_cpu(os.environ["PGAPPNAME"])))
    app.extensions["portal_engine"].dispose()
print(json.dumps(result))
"""


def backend_cpu(application_name: str | None = None) -> dict[int, float] | None:
    """CPU seconds so far of each PostgreSQL client backend on this database (a local one),
    or of those of one application (PGAPPNAME). Each is counted: the pool hands a session
    its connections in turn, so a run's work is spread over several backends."""
    if db.engine.dialect.name != "postgresql":
        return None
    with db.engine.connect() as connection:
        pids = connection.scalars(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' "
            "AND (CAST(:name AS text) IS NULL OR application_name = :name)"),
            {"name": application_name}).all()
    return {pid: _cpu_seconds(pid) for pid in pids}


def _spent(before: dict | None, after: dict | None) -> float | None:
    if before is None or after is None:
        return None
    return round(sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items()), 2)


def measure_crediting(year: int, rate: int, url: str, environment: dict) -> dict:
    """Issue 19: crediting a year (notifications on) on every account, first in this process
    (credit_year), then taken back and done again by one process per county at once
    (credit_county, as the workers of credit_year_by_county do). Wall time of each, and the
    CPU time of the Python process(es) and of their PostgreSQL backends: on a shared machine
    the wall time measures the neighbours too."""
    backend_before = backend_cpu()
    clock, cpu = time.perf_counter(), time.process_time()
    credited = credit_year(year, rate, actor="system:bench", notify=True)
    seconds, cpu = time.perf_counter() - clock, time.process_time() - cpu
    backend = _spent(backend_before, backend_cpu())
    measured = {"year": year, "accounts": credited["accounts"],
                "interest_fen": credited["interest_fen"], "notify": True,
                "seconds": round(seconds, 2), "process_cpu_s": round(cpu, 2),
                "outbox_rows": db.session.scalar(text(
                    "SELECT count(*) FROM outbox_message WHERE kind = 'statement_ready'"))}
    if backend is not None:
        measured["db_cpu_s"] = backend
    log(f"interest {year} (notifications on): {credited['accounts']} accounts in "
        f"{seconds:.1f} s (CPU: {measured['process_cpu_s']} s Python, "
        f"{measured.get('db_cpu_s')} s PostgreSQL; {measured['outbox_rows']} outbox rows)")

    _undo_crediting(year, url)
    counties = counties_to_credit()  # the relations' region codes, as the jobs get them
    start_at = time.time() + 10  # after every child has imported and connected
    children = [subprocess.Popen(
        [sys.executable, "-c", CREDIT_CHILD, str(year), str(rate), county, str(start_at)],
        env={**os.environ, **environment, "PGAPPNAME": f"bench-credit-{county}"}, cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True) for county in counties]
    reports = []
    for child in children:
        stdout, stderr = child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"credit_county failed ({child.returncode}): {stderr[-2000:]}")
        reports.append(json.loads(stdout.strip().splitlines()[-1]))
    wall = max(r["ended"] for r in reports) - min(r["started"] for r in reports)
    parallel = {"processes": len(counties), "counties": counties, "seconds": round(wall, 2),
                "accounts": sum(r["accounts"] for r in reports),
                "interest_fen": sum(r["interest_fen"] for r in reports),
                "per_county": [{"county": county, "accounts": r["accounts"],
                                "seconds": round(r["ended"] - r["started"], 2),
                                "process_cpu_s": round(r["process_cpu_s"], 2),
                                "db_cpu_s": r["db_cpu_s"] and round(r["db_cpu_s"], 2)}
                               for county, r in zip(counties, reports, strict=True)]}
    if (parallel["accounts"], parallel["interest_fen"]) != (credited["accounts"],
                                                            credited["interest_fen"]):
        raise SystemExit(f"by county {parallel} differs from one process {credited}")
    measured["by_county"] = parallel
    each = ", ".join(f"{c['county']}: {c['seconds']} s, CPU {c['process_cpu_s']} s Python, "
                     f"{c['db_cpu_s']} s PostgreSQL" for c in parallel["per_county"])
    log(f"interest {year} by county, {len(counties)} processes at once: "
        f"{parallel['accounts']} accounts in {wall:.1f} s ({each})")
    return measured


# ---------------------------------------------------------------------------------------------
# Tax import


def tax_batch(rows: int, year: int, after_person: int, residents: int, scheme: dict) -> bytes:
    """A CSV batch as the tax department sends it: one contribution each for `rows` residents
    spread over the whole population, paid in `year`."""
    step = max(1, residents // rows)
    people = db.session.execute(
        select(Person.id, Person.id_number)
        .where(Person.id > after_person, (Person.id - after_person - 1) % step == 0)
        .order_by(Person.id).limit(rows)).all()
    tiers = contributions.tiers(scheme, year)[:5]
    lines = ["tax_ref,id_number,year,amount_fen,paid_on,payer"]
    for person_id, id_number in people:
        paid_on = date(year, 1, 10) + timedelta(days=person_id % 60)
        lines.append(f"B{year}-{person_id},{id_number},{year},"
                     f"{tiers[person_id % len(tiers)].amount_fen},{paid_on},person")
    return "\n".join(lines).encode()


def tax_file(path: Path, rows: int, year: int, residents: int, scheme: dict) -> int:
    """A tax year's CSV streamed to `path` (never whole in memory), for the synthetic residents
    (their numbers recomputed, not read back). Up to N rows: one contribution each at a tier
    spread over the population; more rows than residents: each resident pays the lowest tier
    several times in the year, every payment a top-up to the next tier (rules.intake: the
    year's total must be a tier, the subsidy follows the total). Rows for one resident are a
    whole population apart in the file. Returns the accepted subsidy entries it expects."""
    tiers = contributions.tiers(scheme, year)
    per_person = -(-rows // residents)
    if per_person > len(tiers) - 1:
        raise SystemExit(f"at most {(len(tiers) - 1) * residents} rows for {residents} residents")
    written = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("tax_ref,id_number,year,amount_fen,paid_on,payer\n")
        for payment in range(per_person):
            lines = []
            for number in range(residents):
                if written == rows:
                    break
                id_number = synthetic_person(number, None)["id_number"]
                amount = (tiers[number % 5].amount_fen if per_person == 1
                          else tiers[0].amount_fen)
                paid_on = date(year, 1, 10) + timedelta(days=number % 60 + payment)
                lines.append(f"T{rows}-{number}-{payment},{id_number},{year},{amount},"
                             f"{paid_on},person\n")
                written += 1
                if len(lines) == 10_000:
                    out.write("".join(lines))
                    lines = []
            out.write("".join(lines))
    return written


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def import_in_child(path: Path, environment: dict) -> dict:
    """`flask import-contributions` in its own process, as an operator runs it: wall time, and
    its resident memory sampled every 0.2 s (peak and the trace, to see that it stays flat)."""
    clock = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "portal", "import-contributions", str(path)],
        env={**os.environ, **environment}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    samples = []
    reader = threading.Thread(target=lambda: samples.append(process.communicate()))
    reader.start()
    trace = []
    # CPU time of the import itself (the child and the PostgreSQL backends of this database),
    # whatever else loads the shared machine: a backend's CPU is read while it lives.
    backends = CpuMeter(None, environment.get("DATABASE_URL", ""))
    before = backends.snapshot()[1]  # the bench's own connections: only what they add counts
    backend_cpu: dict[int, float] = {}
    child_cpu = 0.0
    while reader.is_alive():
        rss = rss_mb(process.pid)
        if rss is not None:
            trace.append((round(time.perf_counter() - clock, 1), round(rss)))
        child_cpu = max(child_cpu, _cpu_seconds(process.pid))
        for pid, seconds in backends.snapshot()[1].items():
            backend_cpu[pid] = max(backend_cpu.get(pid, 0.0), seconds)
        time.sleep(0.2)
    reader.join()
    seconds = time.perf_counter() - clock
    if backends.engine is not None:
        backends.engine.dispose()
    stdout, stderr = samples[0]
    if process.returncode != 0:
        raise SystemExit(f"import failed ({process.returncode}): {stderr[-2000:]}")
    report, _end = json.JSONDecoder().raw_decode(stdout)
    steps = [json.loads(line)["message"].split(": ", 1)[1] for line in stderr.splitlines()
             if line.startswith("{") and "tax import batch" in line]
    peak = max((rss for _t, rss in trace), default=None)
    step = max(1, len(trace) // 20)
    return {"seconds": round(seconds, 1), "report": report, "peak_rss_mb": peak,
            "steps": steps, "cpu_seconds": {"import": round(child_cpu, 1),
                            "postgres": round(sum(seconds - before.get(pid, 0.0)
                                                  for pid, seconds in backend_cpu.items()), 1)},
            "rss_trace_mb": trace[::step]}


def forget_tax_imports(year: int) -> None:
    """--keep-fill: what the tax imports added (the fill writes only earlier years), so that
    the next run books the same file into the same state."""
    connection = db.session.connection()
    if (connection.dialect.name == "postgresql"
            and year in ledger_partitions.partition_years(connection)):
        db.session.execute(text(f"TRUNCATE {ledger_partitions.partition_name(year)}"))
    else:
        db.session.execute(delete(LedgerEntry).where(LedgerEntry.year == year))
    db.session.execute(text("DELETE FROM refused_contribution"))
    db.session.execute(text("DELETE FROM import_batch WHERE source = 'tax'"))
    db.session.commit()


def run_tax_import(args, folder: Path, url: str, environment: dict, app, years, scheme,
                   result: dict) -> dict:
    """Issue 19: a tax year of millions of rows through the real command, file on disk."""
    this_year = china_today().year
    result["tax_import"] = []
    for rows in [int(n) for n in args.import_rows.split(",")]:
        path = folder / f"tax-{rows}.csv"
        clock = time.perf_counter()
        kept = folder / f"tax-{rows}.rows"  # --keep-fill: the same file again (its rows count)
        if args.keep_fill and kept.exists() and path.exists():
            written = int(kept.read_text())
        else:
            written = tax_file(path, rows, this_year, args.residents, scheme)
            if args.keep_fill:
                kept.write_text(str(written))
        log(f"tax file: {written} rows, {path.stat().st_size / 1e6:.0f} MB in "
            f"{time.perf_counter() - clock:.0f} s")
        measured = import_in_child(path, environment)
        report = measured.pop("report")
        if report.get("accepted") != written or report.get("rejected"):
            summary = {k: v for k, v in report.items() if k != "details"}
            raise SystemExit(f"tax batch not booked: {summary}")
        measured.update(rows=written, megabytes=round(path.stat().st_size / 1e6),
                        entries=report["booked_entries"],
                        rows_per_s=round(written / measured["seconds"]))
        result["tax_import"].append(measured)
        log(f"tax import: {written} rows ({report['booked_entries']} entries) in "
            f"{measured['seconds']:.1f} s = {measured['rows_per_s']} rows/s, peak RSS "
            f"{measured['peak_rss_mb']} MB, CPU {measured['cpu_seconds']}; {measured['steps']}")
        if args.keep_fill:
            forget_tax_imports(this_year)
        else:
            path.unlink()
    return result


# ---------------------------------------------------------------------------------------------
# Statement load


def signed_in_sessions(app, count: int, year: int, exclude: set | None = None) -> list[dict]:
    """Sessions stored the way auth/sessions.py stores them after a real-name sign-in: the
    cookie is the raw token, the row is keyed by its SHA-256 and holds what Flask-Login and
    resident_required read (user id, session identifier, assurance level). `exclude`: people
    already holding one (the first-view residents must be others than the warm ones)."""
    with app.test_request_context("/", headers={"User-Agent": USER_AGENT},
                                  environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        # Flask-Login's "basic" protection compares this hash of address and user agent.
        identifier = login_manager._session_identifier_generator()
    exclude = exclude or set()
    people = db.session.scalars(
        select(Person.id).join(PersonalAccount, PersonalAccount.person_id == Person.id)
        .order_by(func.random()).limit(count + len(exclude))).all()
    people = [p for p in people if p not in exclude][:count]
    now = datetime.now(UTC)
    sessions = []
    for person_id in people:
        account = ledger.account_of(person_id)
        token = secrets.token_urlsafe(32)
        db.session.add(WebSession(
            id_hash=hashlib.sha256(token.encode()).hexdigest(), created_at=now, last_seen_at=now,
            data={"_user_id": f"resident:{person_id}", "_fresh": True, "_id": identifier,
                  "acr": "real-name", "auth_time": int(time.time())}))
        closing = ledger.balance_fen(account.id, date(year, 12, 31))
        sessions.append({"token": token, "expect": f"{closing / 100:,.2f}",
                         "person_id": person_id})
    db.session.commit()
    return sessions


def start_server(app, kind: str, port: int, workers: int, environment: dict,
                 target: str = "portal:create_app()"):
    """Returns a function that stops it. gunicorn runs in its own processes with the shipped
    gunicorn.conf.py (the same settings for the portal and the bare baseline), so the load
    generator's threads don't share a GIL with the app."""
    if kind == "werkzeug":
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return _with_pid(server.shutdown, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
         "--log-level", "warning", target],
        env={**os.environ, **environment, "HOST": "127.0.0.1", "PORT": str(port),
             "WEB_CONCURRENCY": str(workers),
             # No worker recycling during a run: a recycled worker's CPU time would be lost.
             "GUNICORN_MAX_REQUESTS": "0"}, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.terminate()
        raise SystemExit("gunicorn did not start")

    def stop():
        process.terminate()
        process.wait(timeout=30)

    return _with_pid(stop, process.pid)


def _with_pid(stop, pid):
    """The stop function, carrying the server's master process id (None: in this process)."""
    def stopper():
        stop()

    stopper.pid = pid
    return stopper


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (Linux /proc), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


class CpuMeter:
    """CPU time the servers spend per request, whatever else runs on the machine: the gunicorn
    workers' own time, and the time of the PostgreSQL backends serving this database (when it is
    local). Requests/s on a shared machine measure the neighbours too; CPU ms per request does
    not (much)."""

    def __init__(self, master_pid: int | None, database_url: str):
        self.workers = _children(master_pid) if master_pid else []
        self.engine = None
        if database_url.startswith("postgresql") and ("@127.0.0.1" in database_url
                                                       or "@localhost" in database_url):
            self.engine = create_engine(database_url)

    def _backends(self) -> dict[int, float]:
        if self.engine is None:
            return {}
        with self.engine.connect() as connection:
            pids = connection.scalars(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).all()
        return {pid: _cpu_seconds(pid) for pid in pids}

    def snapshot(self):
        return sum(_cpu_seconds(pid) for pid in self.workers), self._backends()

    def per_request(self, before, after, requests: int) -> dict:
        if not self.workers or not requests:
            return {}
        app_ms = (after[0] - before[0]) * 1000 / requests
        result = {"app_cpu_ms": round(app_ms, 2)}
        if self.engine is not None:
            db_seconds = sum(seconds - before[1].get(pid, 0.0)
                             for pid, seconds in after[1].items())
            result["db_cpu_ms"] = round(db_seconds * 1000 / requests, 2)
        return result


def get(port: int, path: str, cookie: str | None, session: dict | None,
        shows_balance: bool = False) -> tuple[float, bool]:
    """One GET on a fresh connection; ok when 200 (and, for a resident's page, it shows what
    that resident's page must show)."""
    headers = {"User-Agent": USER_AGENT}
    if session is not None:
        headers["Cookie"] = f"{cookie}={session['token']}"
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    expected = session["expect"] if session and shows_balance else None
    return elapsed, response.status == 200 and (expected is None or expected in body)


def load(port: int, path: str, cookie: str | None, sessions: list[dict] | None, clients: int,
         seconds: float, max_requests: int) -> dict:
    """Closed loop: `clients` threads each send the next request as soon as the last one is
    answered, until the time or the request budget runs out. Request k uses session k modulo
    their number (None: anonymous)."""
    latencies, failures, lock = [], [0], threading.Lock()
    counter = iter(range(max_requests))
    deadline = time.perf_counter() + seconds

    def client():
        while time.perf_counter() < deadline:
            with lock:
                number = next(counter, None)
            if number is None:
                return
            session = sessions[number % len(sessions)] if sessions else None
            try:
                elapsed, ok = get(port, path, cookie, session, "/statement/" in path)
            except OSError:
                elapsed, ok = 0.0, False
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    failures[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()

    def percentile(share):
        return round(latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000, 1)

    return {"clients": clients, "requests": len(latencies), "errors": failures[0],
            "requests_per_s": round(len(latencies) / wall, 1),
            "p50_ms": percentile(0.50) if latencies else None,
            "p95_ms": percentile(0.95) if latencies else None,
            "p99_ms": percentile(0.99) if latencies else None}


# ---------------------------------------------------------------------------------------------


def _compare(measured: dict, baseline: dict) -> None:
    """x_bare: requests/s as a share of the bare Flask app's in the same round. cpu_x_bare: the
    bare app's CPU per request over the portal's (app + PostgreSQL), i.e. the same share on a
    machine where nothing else competes for the cores."""
    rate = baseline.get("requests_per_s")
    measured["x_bare"] = round(measured["requests_per_s"] / rate, 3) if rate else None
    cost = measured.get("app_cpu_ms", 0) + measured.get("db_cpu_ms", 0)
    if baseline.get("app_cpu_ms") and cost:
        measured["cpu_x_bare"] = round(baseline["app_cpu_ms"] / cost, 3)


def _report(key: str, path: str, measured: dict) -> None:
    cpu = ""
    if "app_cpu_ms" in measured:
        cpu = (f"; CPU per request: app {measured['app_cpu_ms']} ms"
               + (f", PostgreSQL {measured['db_cpu_ms']} ms" if "db_cpu_ms" in measured else "")
               + (f" ({measured['cpu_x_bare']} × bare Flask)" if "cpu_x_bare" in measured
                  else ""))
    log(f"{key} {path}, {measured['clients']} clients: {measured['requests']} ok, "
        f"{measured['errors']} failed, {measured['requests_per_s']} req/s "
        f"({measured['x_bare']} × bare Flask), p50 {measured['p50_ms']} ms, "
        f"p95 {measured['p95_ms']} ms, p99 {measured['p99_ms']} ms{cpu}")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=10_000, help="N synthetic residents")
    parser.add_argument("--years", type=int, default=5, help="M contribution years each")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="default: DATABASE_URL, else SQLite in a temporary folder")
    parser.add_argument("--reset", action="store_true",
                        help="drop everything in a database that already has tables")
    parser.add_argument("--no-prior-interest", action="store_true",
                        help="skip crediting interest for the years before the measured one")
    parser.add_argument("--scenario", choices=("account", "tax-import"), default="account",
                        help="account: fill, import, crediting, statements; tax-import: fill, "
                             "then tax years of --import-rows rows through the real command")
    parser.add_argument("--import-rows", default="20000",
                        help="rows in the tax batch (tax-import: comma-separated sizes)")
    parser.add_argument("--keep-fill", metavar="DIR",
                        help="tax-import: keep the instance folder (keys) in DIR; when DIR "
                             "says the database was filled with it, skip the fill (the "
                             "imports' own rows are removed after each run)")
    parser.add_argument("--sessions", type=int, default=200,
                        help="signed-in residents whose pages are viewed again and again (warm)")
    parser.add_argument("--first-views", type=int, default=3000,
                        help="other signed-in residents per client count, each viewing their "
                             "statement once (first view)")
    parser.add_argument("--clients", default="1,8,32",
                        help="concurrent clients, comma-separated: one load run each")
    parser.add_argument("--duration", type=float, default=20, help="seconds per load run")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per load run")
    parser.add_argument("--server", choices=("gunicorn", "werkzeug"), default="gunicorn")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--out", help="also write the result's JSON to this file "
                                      "(bench/table.py turns it into the README's tables)")
    parser.add_argument("--no-pages", action="store_true",
                        help="stop after the crediting: no servers, no page load")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
        return run(args, Path(folder))


def run(args, folder: Path) -> dict:
    url = database_url(args.database_url or f"sqlite:///{folder / 'bench.db'}")
    if args.keep_fill:
        if args.scenario != "tax-import":
            raise SystemExit("--keep-fill is for the tax-import scenario")
        folder = Path(args.keep_fill)
        folder.mkdir(parents=True, exist_ok=True)
    marker = folder / "filled.json"
    wanted = {"url": url, "residents": args.residents, "years": args.years}
    reuse = (args.keep_fill and has_tables(url) and marker.exists()
             and json.loads(marker.read_text()) == wanted)
    if reuse:
        pass
    elif has_tables(url):
        if not args.reset:
            raise SystemExit("the database has tables: pass --reset to drop everything in it")
        drop_everything(url)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    environment = {"INSTANCE_PATH": str(folder / "instance"), "DATABASE_URL": url,
                   "EXTERNAL_URL": base_url}
    app = create_app({**environment})
    upgrade_database(app)
    this_year = china_today().year
    years = list(range(this_year - args.years, this_year))  # whole years, the last one credited
    scheme = scheme_for(app.config["SCHEME_PROVINCE"])
    dialect = url.split(":", 1)[0].split("+", 1)[0]
    result = {"database": dialect, "residents": args.residents, "years": args.years,
              "contribution_years": f"{years[0]}-{years[-1]}"}
    log(f"{dialect}: {args.residents} residents, contributions {years[0]}–{years[-1]}")

    with app.app_context():
        if reuse:
            log("fill: kept from an earlier run (--keep-fill)")
            forget_tax_imports(this_year)
            run_tax_import(args, folder, url, environment, app, years, scheme, result)
            app.extensions["portal_engine"].dispose()
            print(json.dumps(result, ensure_ascii=False))
            return result
        marker.unlink(missing_ok=True)
        clock = time.perf_counter()
        filled = fill(args.residents, years, scheme)
        result["fill_seconds"] = {k: round(v, 1) for k, v in filled["seconds"].items()}
        result["fill_ledger_rows"] = filled["ledger_rows"]
        log(f"fill: {args.residents} residents, {filled['ledger_rows']} ledger rows in "
            f"{time.perf_counter() - clock:.1f} s ({result['fill_seconds']})")
        if args.keep_fill and args.no_prior_interest:
            marker.write_text(json.dumps(wanted))
        if not args.no_prior_interest:
            result["prior_interest_seconds"] = credit_prior_years(years, scheme)
        if args.scenario == "tax-import":
            db.session.remove()
            run_tax_import(args, folder, url, environment, app, years, scheme, result)
            app.extensions["portal_engine"].dispose()
            finish(args, result)
            return result

        rows = min(int(args.import_rows), args.residents)
        content = tax_batch(rows, this_year, filled["after_person"], args.residents, scheme)
        clock = time.perf_counter()
        batch = import_batch(content, "text/csv", scheme, received_by="system:bench")
        seconds = time.perf_counter() - clock
        if batch.status != "booked" or batch.report["accepted"] != rows:
            raise SystemExit(f"tax batch not booked: {batch.report}")
        result["import"] = {"rows": rows, "entries": batch.report["booked_entries"],
                            "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}
        log(f"tax import: {rows} rows ({batch.report['booked_entries']} entries) in "
            f"{seconds:.1f} s = {rows / seconds:.0f} rows/s")

        year = years[-1]
        result["credit"] = measure_crediting(year, rate_for(scheme, year), url, environment)
        entries = db.session.scalar(select(func.count(LedgerEntry.id)))
        result["ledger_rows_total"] = entries
        if args.no_pages:
            app.extensions["portal_engine"].dispose()
            finish(args, result)
            return result
        sessions = signed_in_sessions(app, args.sessions, year)
        levels = [int(c) for c in args.clients.split(",")]
        fresh = signed_in_sessions(app, args.first_views * len(levels), year,
                                   exclude={s["person_id"] for s in sessions})
        db.session.remove()

    from bench.bare import create_app as create_bare_app

    bare_port = free_port()
    stops = [start_server(app, args.server, port, args.workers, environment),
             start_server(create_bare_app(), args.server, bare_port, args.workers, environment,
                          target="bench.bare:create_app()")]
    result["server"] = (f"gunicorn, gunicorn.conf.py, {args.workers} workers"
                        if args.server == "gunicorn" else "werkzeug, threaded")
    path = f"/me/account/statement/{year}"
    cookie = app.config["SESSION_COOKIE_NAME"]
    # What is measured, in this order at each client count, right after one another so that the
    # baseline and the portal see the same machine: (key, port, path, sessions).
    pages = [("baseline", bare_port, "/", None), ("home", port, "/", None),
             ("me", port, "/me/", sessions), ("statement", port, path, sessions)]
    share = max(1, len(fresh) // len(levels))
    try:
        # Warm-up: every worker imports, compiles templates and opens connections once, and
        # each warm resident's statement is issued (its QR drawn) before anything is measured.
        for _key, page_port, page_path, page_sessions in pages:
            count = 2 * len(page_sessions) if page_sessions else 200
            load(page_port, page_path, cookie, page_sessions, 4, 30, count)
        for key, *_ in pages:
            result[key] = []
        result["statement_first_view"] = []
        portal_meter, bare_meter = CpuMeter(stops[0].pid, url), CpuMeter(stops[1].pid, "")

        def measure(meter, *arguments):
            before = meter.snapshot()
            measured = load(*arguments)
            measured.update(meter.per_request(before, meter.snapshot(),
                                              measured["requests"] + measured["errors"]))
            return measured

        for number, clients in enumerate(levels):
            baseline = None
            for key, page_port, page_path, page_sessions in pages:
                measured = measure(bare_meter if key == "baseline" else portal_meter, page_port,
                                   page_path, cookie, page_sessions, clients, args.duration,
                                   args.max_requests)
                baseline = baseline or measured
                _compare(measured, baseline)
                result[key].append(measured)
                _report(key, page_path, measured)
            # First views: residents who have not seen this statement yet, one request each.
            firsts = fresh[number * share:(number + 1) * share]
            measured = measure(portal_meter, port, path, cookie, firsts, clients, args.duration,
                               min(args.max_requests, len(firsts)))
            _compare(measured, baseline)
            result["statement_first_view"].append(measured)
            _report("statement_first_view", path, measured)
    finally:
        for stop in stops:
            stop()
        app.extensions["portal_engine"].dispose()
    finish(args, result)
    return result


def finish(args, result: dict) -> None:
    """The result as one JSON line on stdout, and in --out when given."""
    line = json.dumps(result, ensure_ascii=False)
    print(line)
    if args.out:
        Path(args.out).write_text(line + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
