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


def test_the_time_follows_each_records_second():
    import json
    import logging
    import time

    from portal.applog import JsonLines

    formatter = JsonLines()
    times = []
    for created in (1_700_000_000.2, 1_700_000_000.9, 1_700_000_001.1, 1_700_000_000.5):
        record = logging.LogRecord("portal", logging.INFO, "", 0, "request", (), None)
        record.created = created
        times.append(json.loads(formatter.format(record))["time"])
    expected = [time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(second))
                for second in (1_700_000_000, 1_700_000_000, 1_700_000_001, 1_700_000_000)]
    assert times == expected and times[1] != times[2]
