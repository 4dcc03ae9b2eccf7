"""The machine interfaces are described (OpenAPI, served by the portal) and fuzzed against that
description (issue 17 item 10): schemathesis generates requests for every operation and sends them
to the live server on the loopback address; no answer may be a 500 or break the document
(status codes, content types, bodies and headers as declared)."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

EXAMPLES = 60  # per operation: bounded, so the run stays in seconds
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_schema_conformance,
          checks.response_headers_conformance]


@pytest.fixture(scope="module")
def api_schema(live_url):
    return schemathesis.openapi.from_url(live_url + "/exchange/openapi.json")


OPERATIONS = [
    ("POST", "/exchange/tax/contributions"),
    ("GET", "/exchange/tax/contributions/batches/{batch_id}"),
    ("GET", "/exchange/tax/contributions/batches/{batch_id}/acknowledgement"),
    ("POST", "/exchange/tax/registrations/batches"),
    ("GET", "/exchange/tax/registrations/batches"),
    ("GET", "/exchange/tax/registrations/batches/{batch_no}"),
    ("POST", "/exchange/tax/registrations/acknowledgements"),
    ("POST", "/kiosk/assertion"),
]


def test_the_document_is_served_and_names_every_machine_operation(live_url):
    document = requests.get(live_url + "/exchange/openapi.json", timeout=30).json()
    assert document["openapi"].startswith("3.")
    operations = {(method.upper(), path) for path, item in document["paths"].items()
                  for method in item}
    assert operations == set(OPERATIONS)
    assert document["servers"][0]["url"] == live_url


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_input_breaks_the_interfaces(api_schema, app, method, path):
    token = {"Authorization": "Bearer " + app.config["TAX_API_TOKEN"]}

    operation = api_schema[path][method]
    # Valid requests and requests that break the document (wrong types, missing fields, …):
    # either kind must get a declared 2xx/4xx answer, never a 500.
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        case.call_and_validate(headers=token, checks=CHECKS, timeout=30)

    fuzz()
