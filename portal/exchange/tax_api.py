"""The tax department's system posts contribution batches here (第十四条), CSV or JSON, and
collects registration batches (第十三条) with their acknowledgement.

System-to-system: a bearer token instead of a browser session, so no CSRF; every call audited.
"""

import hmac

from flask import Blueprint, current_app, jsonify, request, url_for

from ..extensions import csrf
from ..operations import tax_export
from ..operations.tax_import import REASONS, BadBatch, import_batch
from ..rules.dates import china_today
from ..schemes import scheme_for

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
    if not _authorised():
        return _unauthorised()
    content_type = request.mimetype or ""
    if content_type not in ("text/csv", "application/json"):
        return jsonify(error="send text/csv or application/json"), 415
    try:
        batch = import_batch(request.get_data(), content_type,
                             scheme_for(current_app.config["SCHEME_PROVINCE"]),
                             received_by="system:tax")
    except (BadBatch, UnicodeDecodeError) as error:
        return jsonify(error=str(error)), 400
    report = dict(batch.report)
    report["reasons"] = {code: text for code, text in REASONS.items()}
    report["status"] = batch.status
    return jsonify(report), 200 if batch.status == "booked" else 422


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
