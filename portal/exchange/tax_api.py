"""The tax department's system posts contribution batches here (第十四条), CSV or JSON.

System-to-system: a bearer token instead of a browser session, so no CSRF; every call audited.
"""

import hmac

from flask import Blueprint, abort, current_app, jsonify, request

from ..extensions import csrf
from ..operations.tax_import import REASONS, BadBatch, import_batch
from ..schemes import scheme_for

bp = Blueprint("tax_api", __name__, url_prefix="/exchange/tax")


def init_app(app):
    csrf.exempt(bp)
    app.register_blueprint(bp)


def _authorised() -> bool:
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip()
    return bool(token) and hmac.compare_digest(token, current_app.config["TAX_API_TOKEN"])


@bp.post("/contributions")
def contributions():
    if not _authorised():
        abort(401)
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
