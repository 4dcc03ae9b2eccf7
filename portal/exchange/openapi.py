"""The OpenAPI 3 description of the portal's machine interfaces, served at
/exchange/openapi.json: the tax department's system (第十三条、第十四条) and the self-service
terminals' sign-in (kiosk/agent.py). Browsers' pages are not in it. The test suite fuzzes every
operation here against the running portal (tests/integration/test_openapi.py).
"""

from flask import Blueprint, jsonify, request

bp = Blueprint("openapi", __name__, url_prefix="/exchange")

ERROR = {"type": "object", "required": ["error"],
         "properties": {"error": {"type": "string"}}}
TEXT = {"type": "string", "maxLength": 200}


def _json(schema: dict, description: str, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


def _error(description: str) -> dict:
    return _json({"$ref": "#/components/schemas/Error"}, description)


UNAUTHORISED = {"description": "No `Authorization: Bearer <token>` with the right token",
                "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                "content": {"application/json": {"schema": {"$ref":
                                                            "#/components/schemas/Error"}}}}
HTML = {"text/html": {"schema": {"type": "string"}}}

CONTRIBUTION_ROW = {
    "type": "object",
    "required": ["tax_ref", "id_number", "year", "amount_fen", "paid_on"],
    "properties": {
        "tax_ref": {"type": "string", "maxLength": 40,
                    "description": "The tax department's reference; books once"},
        "id_number": {"type": "string", "maxLength": 24},
        "year": {"type": "integer", "minimum": 2009, "maximum": 2100},
        "amount_fen": {"type": "integer", "minimum": 1, "maximum": 10_000_000},
        "paid_on": {"type": "string", "format": "date"},
        "payer": {"type": "string", "enum": ["person", "government"]},
    },
}
RECEIVED = {
    "type": "object", "required": ["batch_id", "status_url"],
    "properties": {"batch_id": {"type": "integer"},
                   "status_url": {"type": "string",
                                  "description": "GET it for the outcome (batch status)"}},
}
REPORT = {
    "type": "object",
    "required": ["batch_id", "status", "sha256"],
    "description": "While `received` only batch_id, status and sha256; once finished also "
                   "the counts, the first 1000 rows not booked (details) and the "
                   "acknowledgement file's URL. `unreadable`: `error` says why.",
    "properties": {
        "batch_id": {"type": "integer"}, "sha256": {"type": "string"},
        "error": {"type": "string"}, "acknowledgement_url": {"type": "string"},
        "details_truncated": {"type": "boolean"},
        "rows": {"type": "integer"}, "accepted": {"type": "integer"},
        "already_booked": {"type": "integer"}, "rejected": {"type": "integer"},
        "booked_entries": {"type": "integer"},
        "details": {"type": "array", "items": {
            "type": "object", "required": ["row", "tax_ref", "status", "reason"],
            "properties": {"row": {"type": "integer"}, "tax_ref": {"type": "string"},
                           "status": {"type": "string",
                                      "enum": ["already_booked", "rejected"]},
                           "reason": {"type": "string", "nullable": True}}}},
        "reasons": {"type": "object", "additionalProperties": {"type": "string"}},
        "status": {"type": "string",
                   "enum": ["received", "booked", "rejected", "unreadable"]},
    },
}
BATCH_SUMMARY = {
    "type": "object", "required": ["batch_no", "rows", "status", "sha256"],
    "properties": {"batch_no": {"type": "string"}, "rows": {"type": "integer"},
                   "status": {"type": "string",
                              "enum": ["ready", "collected", "acknowledged"]},
                   "sha256": {"type": "string"}},
}
ACKNOWLEDGEMENT = {
    "type": "object", "required": ["batch_no"],
    "properties": {
        "batch_no": {"type": "string", "maxLength": 40},
        "accepted": {"type": "array", "items": TEXT},
        "rejected": {"type": "array", "items": {
            "type": "object", "required": ["reference", "reason"],
            "properties": {"reference": TEXT, "reason": {"type": "string", "maxLength": 500}}}},
    },
}


def document() -> dict:
    bearer = [{"taxToken": []}]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "城乡居民基本养老保险 自助服务平台 – machine interfaces",
            "version": "1",
            "description": "The tax department's exchange (contribution details in, 第十四条; "
                           "registrations out with their acknowledgement, 第十三条) and the "
                           "self-service terminals' signed sign-in.",
        },
        "servers": [{"url": request.host_url.rstrip("/")}],
        "paths": {
            "/exchange/tax/contributions": {"post": {
                "operationId": "postContributions",
                "summary": "Contribution details (第十四条、第十七条); all or nothing, idempotent",
                "security": bearer,
                "requestBody": {"required": True, "content": {
                    "text/csv": {"schema": {
                        "type": "string",
                        "description": "Header tax_ref,id_number,year,amount_fen,paid_on"
                                       "[,payer]; no NUL bytes, no field over 200 characters"}},
                    "application/json": {"schema": {
                        "type": "object", "required": ["rows"],
                        "properties": {"rows": {"type": "array",
                                                "items": CONTRIBUTION_ROW}}}},
                }},
                "responses": {
                    "202": _json(RECEIVED, "Kept; a worker books it (all or nothing). The same "
                                           "file again names the same batch.",
                                 {"Location": {"schema": {"type": "string"}}}),
                    "400": _error("The file itself cannot be read"),
                    "401": UNAUTHORISED,
                    "413": {"description": "Larger than TAX_BATCH_MAX_BYTES"},
                    "415": _error("Neither text/csv nor application/json"),
                },
            }},
            "/exchange/tax/contributions/batches/{batch_id}": {"get": {
                "operationId": "contributionBatch",
                "summary": "Where a batch stands: received, booked, rejected (nothing booked; "
                           "the rows and why) or unreadable",
                "security": bearer,
                "parameters": [{"name": "batch_id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "responses": {
                    "200": _json(REPORT, "The batch's status and, once finished, its report"),
                    "401": UNAUTHORISED,
                    "404": _error("No such batch"),
                },
            }},
            "/exchange/tax/contributions/batches/{batch_id}/acknowledgement": {"get": {
                "operationId": "contributionAcknowledgement",
                "summary": "The acknowledgement file: every refused row with its reason (CSV: "
                           "row,tax_ref,reason,explanation)",
                "security": bearer,
                "parameters": [{"name": "batch_id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "responses": {
                    "200": {"description": "Refused rows, in file order",
                            "content": {"text/csv": {"schema": {"type": "string"}}}},
                    "401": UNAUTHORISED,
                    "404": _error("No such batch"),
                    "409": _error("Not booked yet: read the status first"),
                },
            }},
            "/exchange/tax/registrations/batches": {
                "post": {
                    "operationId": "newRegistrationBatch",
                    "summary": "Gather approved enrolments not yet sent into one batch (第十三条)",
                    "security": bearer,
                    "responses": {
                        "201": _json({"type": "object", "required": ["batch_no", "rows", "url"],
                                      "properties": {"batch_no": {"type": "string"},
                                                     "rows": {"type": "integer"},
                                                     "url": {"type": "string"}}},
                                     "A new batch to collect"),
                        "204": {"description": "Nothing is waiting"},
                        "401": UNAUTHORISED,
                    },
                },
                "get": {
                    "operationId": "openRegistrationBatches",
                    "summary": "Batches not yet answered",
                    "security": bearer,
                    "responses": {
                        "200": _json({"type": "object", "required": ["batches"],
                                      "properties": {"batches": {"type": "array",
                                                                 "items": BATCH_SUMMARY}}},
                                     "The open batches"),
                        "401": UNAUTHORISED,
                    },
                },
            },
            "/exchange/tax/registrations/batches/{batch_no}": {"get": {
                "operationId": "collectRegistrationBatch",
                "summary": "Collect one batch: the same file every time",
                "security": bearer,
                "parameters": [{"name": "batch_no", "in": "path", "required": True,
                                "schema": {"type": "string", "maxLength": 40}}],
                "responses": {
                    "200": _json({"type": "object"}, "The batch file",
                                 {"Digest": {"schema": {"type": "string"}}}),
                    "400": _error("The batch number cannot be read"),
                    "401": UNAUTHORISED,
                    "404": _error("No such batch"),
                },
            }},
            "/exchange/tax/registrations/acknowledgements": {"post": {
                "operationId": "acknowledgeRegistrations",
                "summary": "The tax department's answer to a batch; a reference not in the "
                           "batch changes nothing",
                "security": bearer,
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": ACKNOWLEDGEMENT}}},
                "responses": {
                    "200": _json({"type": "object",
                                  "required": ["batch_no", "accepted", "rejected",
                                               "outstanding"],
                                  "properties": {"batch_no": {"type": "string"},
                                                 "accepted": {"type": "integer"},
                                                 "rejected": {"type": "integer"},
                                                 "outstanding": {"type": "array",
                                                                 "items": {"type": "string"}}}},
                                 "Applied"),
                    "400": _error("Not an acknowledgement of a known batch"),
                    "401": UNAUTHORISED,
                },
            }},
            "/kiosk/assertion": {"post": {
                "operationId": "kioskAssertion",
                "summary": "A registered terminal vouches for the person at it (ID card chip "
                           "or 电子社保卡 code, face match): base64url JSON signed with the "
                           "terminal's Ed25519 key, at most 30 s old, never twice",
                "requestBody": {"required": True, "content": {
                    "application/x-www-form-urlencoded": {"schema": {
                        "type": "object", "required": ["assertion", "signature"],
                        "properties": {"assertion": {"type": "string", "maxLength": 8000},
                                       "signature": {"type": "string",
                                                     "maxLength": 200}}}}}},
                "responses": {
                    "302": {"description": "Signed in: on to the resident's home page",
                            "headers": {"Location": {"schema": {"type": "string"}}}},
                    "400": {"description": "The assertion cannot be read", "content": HTML},
                    "403": {"description": "Refused (unknown or revoked terminal, bad "
                                           "signature, stale, replayed, not in the register)",
                            "content": HTML},
                },
            }},
        },
        "components": {
            "securitySchemes": {"taxToken": {"type": "http", "scheme": "bearer",
                                             "description": "TAX_API_TOKEN"}},
            "schemas": {"Error": ERROR},
        },
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())
