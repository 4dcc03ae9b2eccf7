"""Application logging: JSON lines with the request id and user, never an identity number."""

import json
import logging

from portal.applog import JsonLines, redact


def test_identity_and_bank_numbers_never_reach_the_log():
    assert redact("person 539901195804210426 paid") == "person 539901********0426 paid"
    assert redact("card 6217000010000000003") == "card 621700********0003"
    assert redact("reference 53990126112400002") == "reference 53990126112400002"
    record = logging.LogRecord("portal", logging.ERROR, __file__, 1,
                               "lookup of 11010519491231002X failed", None, None)
    line = json.loads(JsonLines().format(record))
    assert line["level"] == "ERROR" and "11010519491231002X" not in line["message"]
