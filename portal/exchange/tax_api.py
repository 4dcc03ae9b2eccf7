"""The tax department's system posts contribution batches here (第十四条), CSV or JSON, and
collects registration batches (第十三条) with their acknowledgement.

System-to-system: a bearer token instead of a browser session, so no CSRF; every call audited.
"""

import hmac

from flask import Blueprint, current_app, jsonify, request, stream_with_context, url_for

from ..extensions import csrf
from ..jobs import enqueue
from ..operations import tax_export, tax_import
from ..rules.dates import china_today

bp = Blueprint("tax_api", __name__, url_prefix="/exchange/tax")


def init_app(app):
    csrf.exempt(bp)
    app.register_blueprint(bp)


def _authorised() -> bool:
    """Exactly `Authorization: Bearer <token>` (RFC 6750): a bare token, another scheme or a
    token with extra parts is refused."""
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    return (scheme == "Bearer" and bool(token) and token == token.strip()
            and hmac.compare_digest(token.encode(), current_app.config["TAX_API_TOKEN"].encode()))


def _unauthorised():
    response = jsonify(error="send Authorization: Bearer <token>")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="tax"'
    return response


@bp.post("/contributions")
def contributions():
    """Keep the batch and answer 202 at once with where to read the outcome; the job
    `tax.book_batch` books it (a tax year takes minutes, far longer than a request may)."""
    if not _authorised():
        return _unauthorised()
    content_type = request.mimetype or ""
    if content_type not in ("text/csv", "application/json"):
        return jsonify(error="send text/csv or application/json"), 415
    request.max_content_length = current_app.config["TAX_BATCH_MAX_BYTES"]
    try:
        batch, _new = tax_import.receive(request.stream, content_type, received_by="system:tax")
    except tax_import.BadBatch as error:
        return jsonify(error=str(error)), 400
    if batch.status == tax_import.BatchStatus.RECEIVED:
        # New, or sent again while waiting (a worker lost it): booking twice books once.
        enqueue("tax.book_batch", batch.id)
    location = url_for(".contribution_batch", batch_id=batch.id)
    response = jsonify(batch_id=batch.id, status_url=location)
    response.status_code = 202
    response.headers["Location"] = location
    return response


def _batch(batch_id: str):
    """Any text in the URL gets a JSON 404, not the router's page or a database error."""
    if not batch_id.isascii() or not batch_id.isdigit() or not 0 < int(batch_id) < 2**31:
        return None
    return tax_import.tax_batch(int(batch_id))


@bp.get("/contributions/batches/<batch_id>")
def contribution_batch(batch_id):
    """Where a batch stands: received (waiting), booked, rejected (nothing booked; the report
    and the acknowledgement name the rows and why) or unreadable."""
    if not _authorised():
        return _unauthorised()
    batch = _batch(batch_id)
    if batch is None:
        return jsonify(error="no such batch"), 404
    answer = {"batch_id": batch.id, "status": batch.status, "sha256": batch.content_sha256}
    if batch.status in tax_import.FINISHED:
        answer.update(batch.report)
        answer["reasons"] = dict(tax_import.REASONS)
        answer["acknowledgement_url"] = url_for(".contribution_acknowledgement",
                                                batch_id=batch.id)
    return jsonify(answer)


@bp.get("/contributions/batches/<batch_id>/acknowledgement")
def contribution_acknowledgement(batch_id):
    """The acknowledgement file (CSV): every refused row with its reason, for the tax
    department to correct and resend."""
    if not _authorised():
        return _unauthorised()
    batch = _batch(batch_id)
    if batch is None:
        return jsonify(error="no such batch"), 404
    if batch.status not in tax_import.FINISHED:
        return jsonify(error="the batch has not been booked yet"), 409
    response = current_app.response_class(
        stream_with_context(tax_import.acknowledgement_lines(batch)), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="acknowledgement-{batch.id}.csv"')
    return response


# Registration data for the tax department (第十三条): the tax interface asks for a new batch,
# collects it, and posts its acknowledgement.

@bp.post("/registrations/batches")
def new_registration_batch():
    if not _authorised():
        return _unauthorised()
    batch = tax_export.export_pending(actor="system:tax", today=china_today())
    if batch is None:
        return "", 204
    return jsonify(batch_no=batch.batch_no, rows=batch.row_count,
                   url=url_for(".registration_batch", batch_no=batch.batch_no)), 201


@bp.get("/registrations/batches")
def registration_batches():
    if not _authorised():
        return _unauthorised()
    return jsonify(batches=[
        {"batch_no": batch.batch_no, "rows": batch.row_count, "status": batch.status,
         "sha256": batch.content_sha256}
        for batch in tax_export.open_batches()])


@bp.get("/registrations/batches/<batch_no>")
def registration_batch(batch_no):
    if not _authorised():
        return _unauthorised()
    batch = tax_export.collect(batch_no, actor="system:tax")
    if batch is None:
        return jsonify(error="no such batch"), 404
    response = current_app.response_class(batch.content, mimetype="application/json")
    response.headers["Digest"] = "sha-256=" + batch.content_sha256
    return response


@bp.post("/registrations/acknowledgements")
def registration_acknowledgement():
    if not _authorised():
        return _unauthorised()
    try:
        report = tax_export.acknowledge(request.get_json(silent=True), actor="system:tax")
    except tax_export.BadAcknowledgement as error:
        return jsonify(error=str(error)), 400
    return jsonify(report)
