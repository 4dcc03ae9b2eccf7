"""Contribution details from the tax department (第十四条、第十七条), booked into accounts.

A batch is CSV (header: tax_ref,id_number,year,amount_fen,paid_on[,payer]) or JSON
({"rows": [{…same fields…}]}). All or nothing: a batch with any rejected row books nothing and
its report says which rows and why, for the tax department to correct and resend. The same batch
again returns the first report; a row booked before (same tax_ref) is reported, not booked again.

A tax year is millions of rows, so nothing here holds a batch in memory or asks the database
once per row:

1. `receive` streams the file to disk, sealed chunk by chunk (it names identity numbers,
   portal/crypto.py), and records the batch as received; the tax interface answers 202 at once.
2. The job `tax.book_batch` (`book`) streams the file again into a staging table (COPY on
   PostgreSQL, executemany in chunks on SQLite), with each identity number's keyed hash computed
   on the way (`blind_index`): plain numbers never reach the database.
3. Set-based look-ups join the staging table with people (on `id_number_hash`), relations,
   accounts and what the ledger already holds per account and year, in a handful of statements.
4. The common case (all of an account's rows personal payments for the year they are paid in,
   nothing booked for that year yet, every running total a tier: rules.intake.plain_tiers) is
   decided by one INSERT … SELECT. The other accounts' rows go through one streaming pass,
   ordered by account, that applies the scheme's intake rules (rules.intake, the same function
   for one row or five million) with what the batch's earlier rows for the same account added,
   and writes each row's decision back in chunks. A test holds the two to the same answers.
5. If nothing was refused, one `INSERT … SELECT` books contributions and subsidies; refused rows
   are kept as RefusedContribution with their reasons (the acknowledgement file lists them).

Everything from 2 to 5 is one transaction: a crash books nothing, and the batch waits to be
booked again. Memory stays flat: one account's rows and a chunk of decisions at a time.
"""

import codecs
import csv
import hashlib
import io
import json
import logging
import secrets
import struct
import time
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path

from flask import current_app
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    cast,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from ..crypto import keyring
from ..exchange.registries import compare_person
from ..extensions import db
from ..jobs import job
from ..models import (
    ImportBatch,
    InsuranceRelation,
    LedgerEntry,
    Person,
    PersonalAccount,
    RefusedContribution,
    utcnow,
)
from ..models.base import UTCDateTime
from ..rules import csvfiles, intake
from ..rules.ids import N_
from . import audit, ledger_partitions

log = logging.getLogger(__name__)

FIELDS = ("tax_ref", "id_number", "year", "amount_fen", "paid_on")
REASONS = {
    "bad_row": N_("The row is incomplete or a value has the wrong form"),
    "unknown_person": N_("No resident with this identity number"),
    "not_enrolled": N_("The resident has no personal account"),
    "bad_amount": N_("The amount is not a contribution level of that year"),
    "not_eligible_for_government_payment": N_("The government pays only the configured amount "
                                              "of the lowest level, and only for severely "
                                              "disabled residents"),
    "duplicate_in_batch": N_("The same tax reference appears twice in this batch"),
    "before_scheme_start": N_("The year is before the scheme started here"),
    "receiving_pension": N_("The resident already receives the pension: contributions have "
                            "ended"),
    "relation_terminated": N_("The resident's insurance here has ended"),
    "year_already_paid": N_("The government has already paid this year's contribution for "
                            "this resident (代缴 is once a year)"),
    "back_pay_not_allowed": N_("Back pay for this year is not allowed: neither the transitional "
                               "rule nor the province's policy covers it"),
}
REPORT_DETAILS = 1000  # rows named in the report; the acknowledgement file names every one
CHUNK_BYTES = 1 << 20  # sealed file chunks
ROWS_PER_WRITE = 20_000  # staging and decision rows per COPY / executemany
CHECK_ROWS = 1000  # rows read at receipt, so a file that cannot be read is refused at once
MAX_JSON_ROW = 64 * 1024  # characters of one JSON row (a real one has ~150)


class BatchStatus(StrEnum):
    RECEIVED = "received"  # stored, waiting for the job
    BOOKED = "booked"
    REJECTED = "rejected"  # a row was refused: nothing booked
    UNREADABLE = "unreadable"  # the file broke after the rows checked at receipt


FINISHED = (BatchStatus.BOOKED, BatchStatus.REJECTED, BatchStatus.UNREADABLE)


class BadBatch(ValueError):
    """The file itself cannot be read (not the rows in it)."""


# ---------------------------------------------------------------------------------------------
# The stored file: sealed in chunks (length, then crypto.KeyRing.seal_bytes of the chunk)


def batch_dir() -> Path:
    path = Path(current_app.config["TAX_BATCH_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


class _SealedReader(io.RawIOBase):
    """The plain bytes of a sealed batch file, one chunk in memory at a time."""

    def __init__(self, path: Path):
        self._file = open(path, "rb")  # noqa: SIM115 - closed with the reader
        self._ring = keyring()
        self._chunk, self._at = b"", 0

    def readable(self):
        return True

    def readinto(self, buffer):
        while self._at >= len(self._chunk):
            head = self._file.read(4)
            if not head:
                return 0
            (size,) = struct.unpack(">I", head)
            self._chunk, self._at = self._ring.open_bytes(self._file.read(size)), 0
        count = min(len(buffer), len(self._chunk) - self._at)
        buffer[:count] = self._chunk[self._at:self._at + count]
        self._at += count
        return count

    def close(self):
        self._file.close()
        super().close()


def _text_of(path: Path) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BufferedReader(_SealedReader(path), CHUNK_BYTES),
                            encoding="utf-8-sig", newline="")


def _store(stream) -> tuple[Path, str]:
    """Copy `stream` (anything with read(n)) to a sealed file; (its path, the plain SHA-256).
    A NUL byte or text that is not UTF-8 refuses the file here, before anything is kept."""
    ring = keyring()
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    path = batch_dir() / f"{secrets.token_hex(16)}.sealed"
    try:
        with open(path, "wb") as out:
            while chunk := stream.read(CHUNK_BYTES):
                if b"\x00" in chunk:
                    raise BadBatch(_csv_problem(csvfiles.BadCsv("nul")))
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError as error:
                    raise BadBatch("the file is not UTF-8 text") from error
                digest.update(chunk)
                sealed = ring.seal_bytes(chunk)
                out.write(struct.pack(">I", len(sealed)) + sealed)
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise BadBatch("the file is not UTF-8 text") from error
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Reading rows, streaming


def _csv_problem(problem: csvfiles.BadCsv) -> str:
    return (f"{problem}: CSV without NUL bytes, fields of at most {csvfiles.MAX_FIELD} "
            "characters, header including " + ",".join(FIELDS))


def _csv_rows(text) -> Iterator[dict]:
    """csvfiles.read, a row at a time: the same dicts (csv.DictReader's), the same refusals."""
    reader = csv.reader(text)
    limit = csvfiles.MAX_FIELD
    try:
        header = next(reader, None)
        if not header or not set(FIELDS) <= set(header):
            raise BadBatch(_csv_problem(csvfiles.BadCsv("header", 1)))
        if any(len(name) > limit for name in header):
            raise BadBatch(_csv_problem(csvfiles.BadCsv("too_long", 1)))
        width = len(header)
        for values in reader:
            if not values:
                continue
            # NUL bytes were refused at receipt, for the whole file (sealed since, unchanged).
            if max(map(len, values)) > limit:
                raise BadBatch(_csv_problem(csvfiles.BadCsv("too_long", reader.line_num)))
            row = dict(zip(header, values, strict=False))
            if len(values) > width:
                row[None] = values[width:]
            elif len(values) < width:
                row.update((name, None) for name in header[len(values):])
            yield row
    except csv.Error:
        raise BadBatch(_csv_problem(csvfiles.BadCsv("unreadable", reader.line_num))) from None


class _JsonRows:
    """{"rows": [{…}, …]} read a row at a time (json's own decoder on a sliding buffer)."""

    SHAPE = 'JSON must be {"rows": [...]}'

    def __init__(self, text):
        self.text, self.buffer, self.at, self.eof = text, "", 0, False
        self.decoder = json.JSONDecoder()

    def _fill(self) -> bool:
        if self.eof:
            return False
        more = self.text.read(CHUNK_BYTES)
        if not more:
            self.eof = True
            return False
        self.buffer = self.buffer[self.at:] + more
        self.at = 0
        return True

    def _peek(self) -> str:
        while True:
            while self.at < len(self.buffer) and self.buffer[self.at] in " \t\r\n":
                self.at += 1
            if self.at < len(self.buffer):
                return self.buffer[self.at]
            if not self._fill():
                return ""

    def _expect(self, characters: str) -> str:
        found = self._peek()
        if not found or found not in characters:
            raise BadBatch("not valid JSON")
        self.at += 1
        return found

    def _value(self):
        self._peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.at)
            except json.JSONDecodeError:
                end = None
            except RecursionError as error:
                raise BadBatch("not valid JSON") from error
            # A number at the buffer's end may go on in the next chunk: read on to be sure.
            if end is not None and (end < len(self.buffer) or self.eof):
                self.at = end
                return value
            if len(self.buffer) - self.at > MAX_JSON_ROW and end is None:
                raise BadBatch("not valid JSON")
            if not self._fill():
                if end is not None:
                    self.at = end
                    return value
                raise BadBatch("not valid JSON")

    def __iter__(self) -> Iterator[dict]:
        if self._peek() != "{":
            if self._peek() in "[\"0123456789-tfn":
                raise BadBatch(self.SHAPE)
            raise BadBatch("not valid JSON")
        self.at += 1
        seen_rows = False
        if self._peek() == "}":
            self.at += 1
        else:
            while True:
                key = self._value()
                if not isinstance(key, str):
                    raise BadBatch("not valid JSON")
                self._expect(":")
                if key == "rows" and self._peek() == "[" and not seen_rows:
                    seen_rows = True
                    self.at += 1
                    if self._peek() == "]":
                        self.at += 1
                    else:
                        while True:
                            row = self._value()
                            yield row if isinstance(row, dict) else {}
                            if self._expect(",]") == "]":
                                break
                else:
                    self._value()
                    if key == "rows":
                        raise BadBatch(self.SHAPE)
                if self._expect(",}") == "}":
                    break
        if self._peek():
            raise BadBatch("not valid JSON")
        if not seen_rows:
            raise BadBatch(self.SHAPE)


def rows_of(text, content_type: str) -> Iterator[dict]:
    try:
        if "json" in content_type:
            yield from _JsonRows(text)
        else:
            yield from _csv_rows(text)
    except UnicodeDecodeError as error:
        raise BadBatch("the file is not UTF-8 text") from error


def _clean(row: dict) -> dict | None:
    if any("\x00" in str(value) for value in row.values()):
        return None  # no text column can hold a NUL byte
    try:
        return _clean_fields(row["tax_ref"], row["id_number"], row["year"], row["amount_fen"],
                             row["paid_on"], row.get("payer"))
    except KeyError:
        return None


def _clean_fields(tax_ref, id_number, year, amount_fen, paid_on, payer) -> dict | None:
    try:
        cleaned = {
            "tax_ref": str(tax_ref).strip(),
            "id_number": str(id_number).strip().upper(),
            "year": int(year),
            "amount_fen": int(amount_fen),
            "paid_on": date.fromisoformat(str(paid_on).strip()),
            "payer": (str(payer or "person")).strip(),
        }
    except (TypeError, ValueError, OverflowError):
        return None
    if not 0 < len(cleaned["tax_ref"]) <= 40 or cleaned["payer"] not in ("person", "government"):
        return None
    if cleaned["year"] > cleaned["paid_on"].year:
        return None
    if not 1000 <= cleaned["year"] <= 9999 or abs(cleaned["amount_fen"]) >= 2**31:
        return None  # no column holds it; no real contribution looks like it
    return cleaned


def _raw_tax_ref(raw: dict) -> str:
    return str(raw.get("tax_ref", ""))[:40].replace("\x00", "")


# ---------------------------------------------------------------------------------------------
# Receiving


def receive(stream, content_type: str, received_by: str) -> tuple[ImportBatch, bool]:
    """Keep the file (sealed) and record the batch; (the batch, whether it is new). The same
    file again, even at the same moment, is the first one's batch: the loser of the race on the
    unique content digest rolls back and gets the winner's. BadBatch when the file cannot be
    read (NUL bytes, not UTF-8, or a broken header or shape in its first rows)."""
    path, digest = _store(stream)
    keep = False
    try:
        earlier = db.session.scalar(select(ImportBatch).filter_by(content_sha256=digest))
        if earlier is not None:
            return earlier, False
        with _text_of(path) as text:
            for _number, _row in zip(range(CHECK_ROWS), rows_of(text, content_type),
                                     strict=False):
                pass
        batch = ImportBatch(source="tax", content_sha256=digest, received_by=received_by,
                            status=BatchStatus.RECEIVED, report={}, content_type=content_type,
                            file_name=path.name)
        db.session.add(batch)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            winner = db.session.scalar(select(ImportBatch).filter_by(content_sha256=digest))
            if winner is None:
                raise
            return winner, False
        keep = True
        return batch, True
    finally:
        if not keep:
            path.unlink(missing_ok=True)


def import_batch(content: bytes, content_type: str, scheme: dict, received_by: str) -> ImportBatch:
    """Receive and book a batch at once (the command line, the demo, tests)."""
    batch, _new = receive(io.BytesIO(content), content_type, received_by)
    if batch.status == BatchStatus.RECEIVED:
        book(batch.id, scheme)
        db.session.refresh(batch)
    return batch


# ---------------------------------------------------------------------------------------------
# Booking

_TEMP = MetaData()
STAGING = Table(
    "tax_staging", _TEMP,
    Column("row_no", Integer), Column("bad", Boolean), Column("tax_ref", String(80)),
    Column("id_hash", String(64)), Column("year", Integer), Column("amount_fen", BigInteger),
    Column("paid_on", Date), Column("payer", String(10)),
    # 补缴: a year before the one paid in. Computed while staging rather than in the queries:
    # PostgreSQL then knows how many rows it holds (it guesses 0.5 % for an expression).
    Column("back_pay", Boolean),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
PEOPLE = Table(  # the person behind each identity number's keyed hash, and its rows in the batch
    "tax_people", _TEMP, Column("id_hash", String(64)), Column("person_id", Integer),
    Column("rows", Integer), Column("birth_date", Date), Column("alone", Boolean),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
HOLDER = Table(  # who each identity number in the batch is, and where they stand
    "tax_holder", _TEMP,
    Column("id_hash", String(64)), Column("person_id", Integer), Column("account_id", Integer),
    Column("status", String(20)), Column("county_code", String(12)),
    Column("first_started", Date), Column("birth_date", Date), Column("back_pay", Boolean),
    Column("rows", Integer), prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
REPEATED = Table(  # tax references on more than one well-formed row of the batch
    "tax_repeated", _TEMP, Column("tax_ref", String(80)),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
SUMMARY = Table(  # per account: "year:personal:government:subsidy:counts;…" from the ledger
    "tax_summary", _TEMP,
    Column("account_id", Integer), Column("summary", Text),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
BOOKED = Table(  # tax references of the batch the ledger already holds, and their year
    "tax_booked", _TEMP, Column("source_key", String(80)), Column("year", Integer),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
DECISION = Table(
    "tax_decision", _TEMP,
    Column("row_no", Integer), Column("status", String(16)), Column("reason", String(40)),
    Column("person_id", Integer), Column("account_id", Integer),
    Column("county_code", String(12)), Column("kind", String(20)),
    Column("subsidy_fen", BigInteger),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP")

TEMP_TABLES = (STAGING, PEOPLE, HOLDER, REPEATED, SUMMARY, BOOKED, DECISION)


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


NULL = "\\N"  # COPY's text format
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One value in COPY's text format (\\N for NULL; dates ISO; text escaped)."""
    if value is None:
        return NULL
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)


def _write(table: Table, rows: list[tuple]) -> None:
    """Rows (tuples, or lines already in COPY's text format) into a staging table: COPY on
    PostgreSQL (the text format built here: psycopg's per-row adaptation costs more than the
    rest of a row's work), executemany elsewhere."""
    if not rows:
        return
    names = [c.name for c in table.columns]
    if _postgres():
        raw = db.session.connection().connection.driver_connection
        data = "".join(row if isinstance(row, str) else "\t".join(map(_copy_text, row)) + "\n"
                       for row in rows)
        with raw.cursor() as cursor, cursor.copy(
                f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            copy.write(data.encode())
    else:
        db.session.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])


def _analyze(table: Table) -> None:
    """Temporary tables get no statistics from autovacuum: without them PostgreSQL plans a
    million staged rows as a thousand and picks nested loops."""
    if _postgres():
        db.session.execute(text(f"ANALYZE {table.name}"))


def _create_temp_tables() -> None:
    connection = db.session.connection()
    for table in TEMP_TABLES:
        table.drop(connection, checkfirst=True)
        table.create(connection)


def _drop_temp_tables() -> None:
    if not _postgres():  # PostgreSQL drops them at commit
        connection = db.session.connection()
        for table in TEMP_TABLES:
            table.drop(connection, checkfirst=True)


def _staged_rows(text, content_type: str) -> Iterator[tuple[int, dict | None, dict | None]]:
    """(row number, cleaned row or None, the raw row when it is bad)."""
    if "json" in content_type:
        for number, raw in enumerate(rows_of(text, content_type), start=1):
            row = _clean(raw)
            yield number, row, raw if row is None else None
        return
    # CSV: the columns by position, without a dict per row (the same checks as _csv_rows).
    reader = csv.reader(text)
    try:
        header = next(reader, None)
        if not header or not set(FIELDS) <= set(header):
            raise BadBatch(_csv_problem(csvfiles.BadCsv("header", 1)))
        if any(len(name) > csvfiles.MAX_FIELD for name in header):
            raise BadBatch(_csv_problem(csvfiles.BadCsv("too_long", 1)))
        width = len(header)
        at = [header.index(name) for name in FIELDS]
        payer_at = header.index("payer") if "payer" in header else None
        number = 0
        for values in reader:
            if not values:
                continue
            number += 1
            if max(map(len, values)) > csvfiles.MAX_FIELD:
                raise BadBatch(_csv_problem(csvfiles.BadCsv("too_long", reader.line_num)))
            if len(values) < width:
                values = values + [None] * (width - len(values))
            row = _clean_fields(*(values[i] for i in at),
                                values[payer_at] if payer_at is not None else None)
            yield number, row, (None if row is not None
                                else dict(zip(header, values, strict=False)))
    except csv.Error:
        raise BadBatch(_csv_problem(csvfiles.BadCsv("unreadable", reader.line_num))) from None
    except UnicodeDecodeError as error:
        raise BadBatch("the file is not UTF-8 text") from error


def _stage(path: Path, content_type: str) -> None:
    """Step 2: every row into the staging table, its identity number as the keyed hash. On
    PostgreSQL the rows are written as COPY text directly: at millions of rows, building
    tuples to format them again costs more than reading and checking them."""
    index = keyring().blind_indexer()
    postgres = _postgres()
    chunk = []
    with _text_of(path) as text:
        for number, row, raw in _staged_rows(text, content_type):
            if postgres:
                if row is None:
                    chunk.append(f"{number}\tt\t{_copy_text(_raw_tax_ref(raw))}"
                                 "\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n")
                else:
                    tax_ref = row["tax_ref"]
                    if "\\" in tax_ref or "\t" in tax_ref or "\n" in tax_ref or "\r" in tax_ref:
                        tax_ref = _copy_text(tax_ref)
                    chunk.append(f"{number}\tf\t{tax_ref}\t{index(row['id_number'])}\t"
                                 f"{row['year']}\t{row['amount_fen']}\t{row['paid_on']}\t"
                                 f"{row['payer']}\t"
                                 f"{'t' if row['year'] < row['paid_on'].year else 'f'}\n")
            elif row is None:
                chunk.append((number, True, _raw_tax_ref(raw), None, None, None, None, None,
                              None))
            else:
                chunk.append((number, False, row["tax_ref"], index(row["id_number"]),
                              row["year"], row["amount_fen"], row["paid_on"], row["payer"],
                              row["year"] < row["paid_on"].year))
            if len(chunk) >= ROWS_PER_WRITE:
                _write(STAGING, chunk)
                chunk = []
    _write(STAGING, chunk)
    _analyze(STAGING)


def _look_up(years: list[int]) -> None:
    """Step 3: people, relations, accounts and the batch's tax references already booked, a
    statement each (what the ledger holds per account and year: `_summarise`, only for the
    accounts the plain case leaves).

    "Already booked" means the same tax reference in the ledger for the same year: PostgreSQL
    keeps source keys unique per year (ledger_partitions), and a resend is always the same
    year; only the batch's years' partitions are read."""
    session = db.session
    numbers = (select(STAGING.c.id_hash, func.count().label("rows"))
               .where(STAGING.c.bad.is_(False)).group_by(STAGING.c.id_hash).subquery())
    # The birth date read here for a number only one person has (the rule): the few numbers
    # shared by people of different identity document types look theirs up below.
    alone = func.count(Person.id) == 1
    session.execute(insert(PEOPLE).from_select(
        ["id_hash", "person_id", "rows", "birth_date", "alone"],
        select(Person.id_number_hash, func.min(Person.id), func.min(numbers.c.rows),
               case((alone, func.min(Person.birth_date))), alone)
        .join(numbers, numbers.c.id_hash == Person.id_number_hash)
        .group_by(Person.id_number_hash)))
    _analyze(PEOPLE)
    mine = select(PEOPLE.c.person_id)
    relations = (
        select(InsuranceRelation.person_id,
               func.max(case((InsuranceRelation.status != "terminated", InsuranceRelation.id)))
               .label("open_id"),
               func.max(InsuranceRelation.id).label("last_id"),
               func.min(InsuranceRelation.started_on).label("first_started"))
        .where(InsuranceRelation.person_id.in_(mine))
        .group_by(InsuranceRelation.person_id).subquery())
    accounts = (select(PersonalAccount.person_id, func.max(PersonalAccount.id).label("id"))
                .where(PersonalAccount.person_id.in_(mine))
                .group_by(PersonalAccount.person_id).subquery())
    current = InsuranceRelation.__table__.alias("current_relation")
    last = InsuranceRelation.__table__.alias("last_relation")
    # The county is the last relation's: the current one's but for the few people with an
    # ended relation newer than an open one (a probe each, not a join over every relation).
    county = case((relations.c.open_id.is_(None) | (relations.c.open_id == relations.c.last_id),
                   current.c.region_code),
                  else_=select(last.c.region_code).where(last.c.id == relations.c.last_id)
                  .scalar_subquery())
    back_paid = (select(STAGING.c.id_hash).where(STAGING.c.bad.is_(False),
                                                 STAGING.c.back_pay.is_(True))
                 .subquery())
    session.execute(insert(HOLDER).from_select(
        ["id_hash", "person_id", "account_id", "status", "county_code", "first_started",
         "birth_date", "back_pay", "rows"],
        select(PEOPLE.c.id_hash, PEOPLE.c.person_id, accounts.c.id, current.c.status,
               county, relations.c.first_started,
               case((PEOPLE.c.alone, PEOPLE.c.birth_date),
                    else_=select(Person.birth_date).where(Person.id == PEOPLE.c.person_id)
                    .scalar_subquery()),
               PEOPLE.c.id_hash.in_(select(back_paid.c.id_hash)), PEOPLE.c.rows)
        .select_from(PEOPLE)
        .outerjoin(relations, relations.c.person_id == PEOPLE.c.person_id)
        .outerjoin(current, current.c.id == func.coalesce(relations.c.open_id,
                                                          relations.c.last_id))
        .outerjoin(accounts, accounts.c.person_id == PEOPLE.c.person_id)))
    _analyze(HOLDER)

    session.execute(insert(BOOKED).from_select(
        ["source_key", "year"], select(LedgerEntry.source_key, LedgerEntry.year).where(
            LedgerEntry.year.in_(years),
            LedgerEntry.source_key.in_(select(literal("tax:") + STAGING.c.tax_ref)
                                       .where(STAGING.c.bad.is_(False))))))
    _analyze(BOOKED)


def _summarise(years: list[int]) -> None:
    """What the ledger holds per account and year, for the accounts whose rows are left to
    the judging pass (the plain ones are decided already). The ledger is read only in the
    batch's years (on PostgreSQL: only those partitions), except for accounts with a back-paid
    row, whose every contribution year counts (rules.intake: the transitional rule looks at the
    years paid so far)."""
    session = db.session
    # What the ledger holds per account and year (rules.intake.YearSoFar, and whether the year
    # counts as a contribution year); a reversed entry counts for nothing.
    entry = LedgerEntry.__table__.alias("entry")
    reversal = LedgerEntry.__table__.alias("reversal")

    def summaries(accounts_wanted, only_years):
        reversed_ids = (select(reversal.c.reverses_id.label("id"))
                        .where(reversal.c.reverses_id.is_not(None),
                               reversal.c.account_id.in_(accounts_wanted)))
        if only_years is not None:
            reversed_ids = reversed_ids.where(reversal.c.year.in_(only_years))
        reversed_ids = reversed_ids.subquery()

        def total(kind):
            return func.sum(case((entry.c.kind == kind, entry.c.amount_fen), else_=0))

        counts = func.max(case(((entry.c.kind.in_(("personal", "government_paid")))
                                & (entry.c.amount_fen > 0), 1), else_=0))
        per_year = (
            select(entry.c.account_id, entry.c.year, total("personal").label("personal"),
                   total("government_paid").label("government"),
                   total("subsidy").label("subsidy"), counts.label("counts"))
            .where(entry.c.account_id.in_(accounts_wanted))
            .outerjoin(reversed_ids, reversed_ids.c.id == entry.c.id)
            .where(entry.c.kind.in_(("personal", "government_paid", "subsidy")),
                   reversed_ids.c.id.is_(None))
            .group_by(entry.c.account_id, entry.c.year))
        if only_years is not None:
            per_year = per_year.where(entry.c.year.in_(only_years))
        per_year = per_year.subquery()
        line = (cast(per_year.c.year, String) + ":" + cast(per_year.c.personal, String) + ":"
                + cast(per_year.c.government, String) + ":" + cast(per_year.c.subsidy, String)
                + ":" + cast(per_year.c.counts, String))
        joined = (func.string_agg(line, literal(";")) if _postgres()
                  else func.group_concat(line, ";"))
        session.execute(insert(SUMMARY).from_select(
            ["account_id", "summary"],
            select(per_year.c.account_id, joined).group_by(per_year.c.account_id)))

    undecided = HOLDER.c.account_id.is_not(None) & ~(
        select(literal(1)).where(DECISION.c.account_id == HOLDER.c.account_id).exists())
    summaries(select(HOLDER.c.account_id).where(undecided, HOLDER.c.back_pay.is_(True)), None)
    summaries(select(HOLDER.c.account_id).where(undecided, HOLDER.c.back_pay.is_(False)),
              years)
    _analyze(SUMMARY)


CONTRIBUTION_KINDS = ("personal", "government_paid", "subsidy")


def _judge_plain(scheme: dict, years: list[int]) -> None:
    """Step 4a: the common case decided in SQL, from rules.intake.plain_tiers. An
    account's rows are decided here only if all of them are plain (intake.plain_tiers says
    what that means; tests/integration/test_tax_import_plain.py compares this with
    rules.intake row by row on random batches):
    well-formed, its tax reference once in the batch and never booked, personal, for the year
    paid in, the relation contributing, nothing for that year in the ledger, and every running
    total of the year a tier. Such rows are accepted, each with the highest tier subsidy
    reached so far less what the earlier ones added. Everything else is judged by the
    Python pass (`_judge`), which never sees these accounts."""
    session = db.session
    memo: dict = {}
    tiers = [(year, amount, subsidy) for year in years
             for amount, subsidy in intake.plain_tiers(scheme, year, memo)]
    if not tiers:
        return  # no year of the batch has a plain case
    repeats = session.execute(insert(REPEATED).from_select(
        ["tax_ref"], select(STAGING.c.tax_ref).where(STAGING.c.bad.is_(False))
        .group_by(STAGING.c.tax_ref).having(func.count() > 1))).rowcount
    _analyze(REPEATED)
    staged, holder = STAGING.c, HOLDER.c
    held = (select(literal(1)).select_from(LedgerEntry)
            .where(LedgerEntry.account_id == holder.account_id,
                   LedgerEntry.year == staged.year, LedgerEntry.year.in_(years),
                   LedgerEntry.kind.in_(CONTRIBUTION_KINDS)).exists())
    repeated = (select(literal(1)).select_from(REPEATED)
                .where(REPEATED.c.tax_ref == staged.tax_ref).exists())
    booked = (select(literal(1)).select_from(BOOKED)
              .where(BOOKED.c.source_key == literal("tax:") + staged.tax_ref,
                     BOOKED.c.year == staged.year).exists())
    # Anti-joins with tables known to be empty are left out: PostgreSQL would still run them
    # (a nested loop over a million rows when it misjudges their size).
    unless = [~held]
    if repeats:
        unless.append(~repeated)
    if session.scalar(select(func.count()).select_from(BOOKED)):
        unless.append(~booked)
    plain = (
        select(staged.row_no, staged.year, holder.person_id, holder.account_id,
               holder.county_code, holder.rows,
               func.count().over(partition_by=holder.account_id).label("plain_rows"),
               cast(func.sum(staged.amount_fen).over(partition_by=(holder.account_id,
                                                                   staged.year),
                                                     order_by=staged.row_no),
                    BigInteger).label("total"))
        .join(HOLDER, HOLDER.c.id_hash == staged.id_hash)
        .where(staged.bad.is_(False), staged.payer == "person",
               staged.back_pay.is_(False), holder.status == "contributing",
               holder.account_id.is_not(None), *unless)
        .subquery())
    # The tier of a running total as an expression (a dozen tiers a year) rather than a join
    # or a subquery per row: the rows stay in the order the windows sorted them in.
    tier_subsidy = case(*[((plain.c.year == year) & (plain.c.total == amount), subsidy)
                          for year, amount, subsidy in tiers], else_=None)
    with_tier = select(plain, tier_subsidy.label("subsidy_fen")).subquery()
    tiered = (
        select(with_tier, func.count(with_tier.c.subsidy_fen)
               .over(partition_by=with_tier.c.account_id).label("tier_rows"))
        .subquery())
    in_order = dict(partition_by=(tiered.c.account_id, tiered.c.year), order_by=tiered.c.row_no)
    reached = (
        select(tiered.c.row_no, tiered.c.person_id, tiered.c.account_id, tiered.c.county_code,
               tiered.c.year, func.max(tiered.c.subsidy_fen).over(**in_order).label("reached"))
        .where(tiered.c.plain_rows == tiered.c.rows, tiered.c.tier_rows == tiered.c.rows)
        .subquery())
    in_order = dict(partition_by=(reached.c.account_id, reached.c.year),
                    order_by=reached.c.row_no)
    session.execute(insert(DECISION).from_select(
        ["row_no", "status", "reason", "person_id", "account_id", "county_code", "kind",
         "subsidy_fen"],
        select(reached.c.row_no, literal("accepted"), literal(None, String), reached.c.person_id,
               reached.c.account_id, reached.c.county_code, literal("personal"),
               reached.c.reached - func.coalesce(func.lag(reached.c.reached).over(**in_order),
                                                 0))))


class _Account:
    """One account's years while its rows are judged (tax_import's old _YearsInBatch)."""

    def __init__(self, summary: str | None, carried: list | None):
        self.so_far: dict[int, intake.YearSoFar] = {}
        self.years: set[int] = set(carried or [])
        for part in (summary or "").split(";"):
            if part:
                year, personal, government, subsidy, counts = (int(v) for v in part.split(":"))
                self.so_far[year] = intake.YearSoFar(personal, government, subsidy)
                if counts:
                    self.years.add(year)

    def of(self, year: int) -> intake.YearSoFar:
        return self.so_far.get(year) or intake.YearSoFar()

    def add(self, year: int, kind: str, amount: int, subsidy: int) -> None:
        now = self.of(year)
        self.so_far[year] = intake.YearSoFar(
            now.personal_fen + (amount if kind == "personal" else 0),
            now.government_fen + (amount if kind == "government_paid" else 0),
            now.subsidy_fen + subsidy)
        self.years.add(year)


def _judge(scheme: dict) -> None:
    """Step 4: the intake rules on every row, account by account, in the batch's order."""
    session = db.session
    nth = func.row_number().over(partition_by=(STAGING.c.bad, STAGING.c.tax_ref),
                                 order_by=STAGING.c.row_no).label("nth")
    rows = (
        select(STAGING.c.row_no, STAGING.c.bad, STAGING.c.year, STAGING.c.amount_fen,
               STAGING.c.paid_on, STAGING.c.payer, nth,
               BOOKED.c.source_key.is_not(None).label("booked"), HOLDER.c.person_id,
               HOLDER.c.account_id, HOLDER.c.status, HOLDER.c.county_code,
               HOLDER.c.first_started, HOLDER.c.birth_date, SUMMARY.c.summary,
               PersonalAccount.carried_years)
        .select_from(STAGING)
        .outerjoin(HOLDER, HOLDER.c.id_hash == STAGING.c.id_hash)
        .outerjoin(SUMMARY, SUMMARY.c.account_id == HOLDER.c.account_id)
        .outerjoin(PersonalAccount, PersonalAccount.id == HOLDER.c.account_id)
        .outerjoin(BOOKED, (BOOKED.c.source_key == literal("tax:") + STAGING.c.tax_ref)
                   & (BOOKED.c.year == STAGING.c.year))
        .where(~select(literal(1)).where(DECISION.c.row_no == STAGING.c.row_no).exists())
        .order_by(HOLDER.c.account_id, STAGING.c.row_no))
    decisions, account_id, account, grades, memo = [], None, None, {}, {}
    postgres = _postgres()
    result = session.execute(rows.execution_options(stream_results=True, yield_per=5000))
    for (row_no, bad, year, amount, paid_on, payer, nth, booked, person_id, row_account,
         relation_status, county, first_started, birth_date, summary, carried) in result:
        status, reason, kind, subsidy = "rejected", None, None, 0
        if bad:
            reason, person_id, county = "bad_row", None, None
        elif nth > 1:
            reason, person_id, county = "duplicate_in_batch", None, None
        elif booked:
            status, person_id, county = "already_booked", None, None
        elif person_id is None:
            reason = "unknown_person"
        elif row_account is None or relation_status is None:
            reason = "not_enrolled"
        else:
            if row_account != account_id:
                account_id, account = row_account, _Account(summary, carried)
            severe = False
            if payer == "government":
                key = (person_id, paid_on)
                if key not in grades:
                    person = session.get(Person, person_id)
                    grades[key] = compare_person(person.id_type, person.id_number,
                                                 person.name, paid_on).disability_grade
                severe = grades[key] is not None and grades[key] <= 2
            decided = intake.intake(
                scheme, year=year, paid_on=paid_on, amount_fen=amount, payer=payer,
                relation_status=relation_status, birth_date=birth_date,
                enrolled_year=first_started.year, years_paid=len(account.years - {year}),
                so_far=account.of(year), severely_disabled=severe, memo=memo)
            if decided.refusal:
                reason = decided.refusal
            else:
                status, kind, subsidy = "accepted", decided.kind, decided.subsidy_fen
                account.add(year, kind, amount, subsidy)
        if postgres:  # COPY text: none of these values needs escaping
            decisions.append(f"{row_no}\t{status}\t{reason or NULL}\t{person_id or NULL}\t"
                             f"{row_account or NULL}\t{county or NULL}\t{kind or NULL}\t"
                             f"{subsidy}\n")
        else:
            decisions.append((row_no, status, reason, person_id, row_account, county, kind,
                              subsidy))
        if len(decisions) >= ROWS_PER_WRITE:
            _write(DECISION, decisions)
            decisions = []
        if len(grades) > 10_000:
            grades.clear()
    _write(DECISION, decisions)


def _book_entries(now) -> int:
    """Step 5: contributions and their subsidies, one INSERT … SELECT: each accepted row
    joined with its two parts (the contribution, and its subsidy if any). No ORDER BY: sorting
    millions of rows only to order their ids is not worth it (nothing reads the ledger by id
    order within a batch)."""
    accepted = (select(DECISION.c.account_id, DECISION.c.kind, DECISION.c.subsidy_fen,
                       STAGING.c.tax_ref, STAGING.c.year, STAGING.c.amount_fen,
                       STAGING.c.paid_on)
                .join(STAGING, STAGING.c.row_no == DECISION.c.row_no)
                .where(DECISION.c.status == "accepted").subquery())
    parts = union_all(select(literal(0).label("part")), select(literal(1))).subquery()
    is_subsidy = parts.c.part == 1
    db.session.execute(insert(LedgerEntry).from_select(
        ["account_id", "kind", "amount_fen", "booked_on", "year", "source_key", "created_at"],
        select(accepted.c.account_id,
               case((is_subsidy, literal("subsidy")), else_=accepted.c.kind),
               case((is_subsidy, accepted.c.subsidy_fen), else_=accepted.c.amount_fen),
               accepted.c.paid_on, accepted.c.year,
               literal("tax:") + accepted.c.tax_ref
               + case((is_subsidy, literal(":subsidy")), else_=literal("")),
               literal(now, UTCDateTime()))
        .select_from(accepted).join(parts, literal(True))
        .where(~is_subsidy | (accepted.c.subsidy_fen > 0))
        .order_by(None)))
    return db.session.scalar(
        select(func.count() + func.coalesce(func.sum(case((DECISION.c.subsidy_fen > 0, 1),
                                                          else_=0)), 0))
        .where(DECISION.c.status == "accepted"))


def _keep_refused(batch: ImportBatch, path: Path) -> None:
    """Refused rows are never dropped: the county sees each with its reason (the money was
    collected, so it must be refunded or the record corrected) and the tax department's
    acknowledgement lists them. The identity number comes from the file (sealed again into
    the row), so the staging table never held it."""
    refused = db.session.execute(
        select(DECISION.c.row_no, DECISION.c.reason, DECISION.c.person_id,
               DECISION.c.county_code)
        .where(DECISION.c.status == "rejected").order_by(DECISION.c.row_no)
        .execution_options(stream_results=True, yield_per=5000))
    wanted = next(refused, None)
    chunk = []
    with _text_of(path) as text:
        for number, raw in enumerate(rows_of(text, batch.content_type or "text/csv"), start=1):
            if wanted is None:
                break
            if number != wanted.row_no:
                continue
            row = _clean(raw) or {}
            chunk.append({
                "batch_id": batch.id, "row_number": number,
                "tax_ref": (row.get("tax_ref") or _raw_tax_ref(raw))[:80],
                "id_number": (row.get("id_number") or None) and row["id_number"][:24],
                "person_id": wanted.person_id, "county_code": wanted.county_code,
                "year": row.get("year"), "amount_fen": row.get("amount_fen"),
                "reason": wanted.reason})
            if len(chunk) >= ROWS_PER_WRITE:
                db.session.execute(insert(RefusedContribution), chunk)
                chunk = []
            wanted = next(refused, None)
    if chunk:
        db.session.execute(insert(RefusedContribution), chunk)


def _report(booked_entries: int) -> dict:
    counts = dict(db.session.execute(select(DECISION.c.status, func.count())
                                     .group_by(DECISION.c.status)).all())
    details = db.session.execute(
        select(DECISION.c.row_no, STAGING.c.tax_ref, DECISION.c.status, DECISION.c.reason)
        .join(STAGING, STAGING.c.row_no == DECISION.c.row_no)
        .where(DECISION.c.status != "accepted").order_by(DECISION.c.row_no)
        .limit(REPORT_DETAILS)).all()
    rejected = counts.get("rejected", 0)
    report = {
        "rows": sum(counts.values()),
        "accepted": counts.get("accepted", 0),
        "already_booked": counts.get("already_booked", 0),
        "rejected": rejected,
        "booked_entries": 0 if rejected else booked_entries,
        "details": [{"row": number, "tax_ref": tax_ref, "status": status, "reason": reason}
                    for number, tax_ref, status, reason in details],
    }
    if len(details) == REPORT_DETAILS and rejected + report["already_booked"] > REPORT_DETAILS:
        report["details_truncated"] = True
    return report


def book(batch_id: int, scheme: dict) -> ImportBatch:
    """Book a received batch once. Safe to run twice at once: the second waits for the first
    (the claim below locks the batch row) and finds it finished. A tax reference booked by
    another batch in the meantime makes the insert fail: the batch is judged once more."""
    for attempt in (1, 2):
        try:
            return _book(batch_id, scheme)
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _book(batch_id: int, scheme: dict) -> ImportBatch:
    session = db.session
    session.commit()  # the claim below opens the booking's own transaction
    claimed = session.execute(
        update(ImportBatch).where(ImportBatch.id == batch_id,
                                  ImportBatch.status == BatchStatus.RECEIVED)
        .values(status=BatchStatus.RECEIVED).execution_options(synchronize_session=False))
    batch = session.get(ImportBatch, batch_id, populate_existing=True)
    if not claimed.rowcount:
        session.commit()
        return batch
    path = batch_dir() / (batch.file_name or "")
    if _postgres():
        # Joins and sorts over a tax year's rows: in memory rather than spilled to disk.
        session.execute(text("SET LOCAL work_mem = '128MB'"))
        # The temporary tables (a few hundred MB for a tax year) in the backend's memory
        # rather than through the default 8 MB of buffers. PostgreSQL refuses the change on
        # a connection that used temporary tables before: it then keeps what it has.
        try:
            with session.begin_nested():
                session.execute(text("SET LOCAL temp_buffers = '256MB'"))
        except DBAPIError:
            pass
    clock = time.perf_counter()

    def done(step: str) -> None:
        # A tax year takes minutes: the operator (and the bench) see where they go.
        nonlocal clock
        now = time.perf_counter()
        log.info("tax import batch %s: %s in %.1f s", batch_id, step, now - clock)
        clock = now

    try:
        _create_temp_tables()
        _stage(path, batch.content_type or "text/csv")
    except (BadBatch, FileNotFoundError, IsADirectoryError) as error:
        session.rollback()
        batch = session.get(ImportBatch, batch_id, populate_existing=True)
        problem = str(error) if isinstance(error, BadBatch) else "the stored file is missing"
        return _finish(batch, BatchStatus.UNREADABLE, {"error": problem}, path)
    years = [y for y in session.scalars(select(STAGING.c.year).distinct()) if y is not None]
    # New partitions are made on a connection of their own, before this transaction reads the
    # ledger (it would otherwise wait for itself).
    done("staging")
    ledger_partitions.ensure(years)
    _look_up(years)
    done("look-ups")
    _judge_plain(scheme, years)
    done("plain rows judged in SQL")
    staged = session.scalar(select(func.count()).select_from(STAGING))
    if session.scalar(select(func.count()).select_from(DECISION)) < staged:
        _summarise(years)
        _judge(scheme)
        done("other rows judged")
    _analyze(DECISION)
    now = utcnow()
    rejected = session.scalar(select(func.count()).select_from(DECISION)
                              .where(DECISION.c.status == "rejected"))
    booked_entries = 0 if rejected else _book_entries(now)
    done("booking")
    report = _report(booked_entries)
    if rejected:
        _keep_refused(batch, path)
    _drop_temp_tables()
    done("report")
    audit.record("tax_import", actor=batch.received_by, channel="system",
                 object_type="import_batch", object_id=batch.content_sha256[:16],
                 outcome="failure" if rejected else "success",
                 detail={k: v for k, v in report.items() if k != "details"})
    return _finish(batch, BatchStatus.REJECTED if rejected else BatchStatus.BOOKED, report,
                   path)


def _finish(batch: ImportBatch, status: str, report: dict, path: Path) -> ImportBatch:
    batch.status, batch.report, batch.finished_at = status, report, utcnow()
    db.session.commit()
    # Booked or refused rows are in the database now; the sealed copy has done its work.
    path.unlink(missing_ok=True)
    return batch


@job("tax.book_batch")
def book_batch(batch_id: int) -> str:
    """The job behind the tax interface's 202: book batch `batch_id` with the province's
    scheme. Returns the batch's status."""
    from ..schemes import scheme_for

    return str(book(int(batch_id), scheme_for(current_app.config["SCHEME_PROVINCE"])).status)


@job("tax.book_pending")
def book_pending(older_than_minutes: int = 10) -> list[int]:
    """The beat's safety net: batches stored and answered 202 but still not booked a while later
    (the worker that had them was lost) are asked for again. Booking a batch twice books it
    once (book() claims it), so a batch still being booked elsewhere comes to no harm."""
    from datetime import timedelta

    from ..jobs import enqueue
    from ..models import utcnow

    waiting = db.session.scalars(select(ImportBatch.id).filter(
        ImportBatch.source == "tax", ImportBatch.status == BatchStatus.RECEIVED,
        ImportBatch.received_at < utcnow() - timedelta(minutes=older_than_minutes))
        .order_by(ImportBatch.id)).all()
    for batch_id in waiting:
        enqueue("tax.book_batch", batch_id)
    return list(waiting)


# ---------------------------------------------------------------------------------------------
# What the tax department and the county read


def tax_batch(batch_id: int) -> ImportBatch | None:
    batch = db.session.get(ImportBatch, batch_id)
    return batch if batch is not None and batch.source == "tax" else None


ACKNOWLEDGEMENT_HEADER = ["row", "tax_ref", "reason", "explanation"]


def refused_of(batch: ImportBatch) -> Iterator[tuple[int, str, str]]:
    """(row, tax_ref, reason) of every row of the batch the scheme refused, in file order."""
    yield from db.session.execute(
        select(RefusedContribution.row_number, RefusedContribution.tax_ref,
               RefusedContribution.reason)
        .filter_by(batch_id=batch.id).order_by(RefusedContribution.row_number)
        .execution_options(yield_per=5000))


def acknowledgement_lines(batch: ImportBatch) -> Iterator[str]:
    """The acknowledgement file (CSV): every refused row with its reason, streamed."""
    yield csvfiles.write(ACKNOWLEDGEMENT_HEADER, [])
    chunk = []
    for number, tax_ref, reason in refused_of(batch):
        chunk.append((number, tax_ref, reason, REASONS.get(reason, "")))
        if len(chunk) >= 5000:
            yield csvfiles.write([], chunk)[1:]
            chunk = []
    if chunk:
        yield csvfiles.write([], chunk)[1:]


def refused_rows(county_code: str, limit: int = 200) -> list[RefusedContribution]:
    """Rows the scheme refused for the county's residents (and rows naming nobody known here,
    which the service county sorts out with the tax department), newest first."""
    mine = RefusedContribution.county_code.startswith(county_code[:6])
    if county_code[:6] == current_app.config["SERVICE_COUNTY_CODE"][:6]:
        mine = mine | RefusedContribution.county_code.is_(None)
    return db.session.scalars(select(RefusedContribution).filter(mine)
                              .order_by(RefusedContribution.id.desc()).limit(limit)).all()
