"""The one JSON line per request (portal/applog.py): request id (the proxy's, echoed back), path,
method, status, duration and the kind and id of the user, never an identity number."""

import io
import json
import logging

from portal.applog import JsonLines, logger


def request_lines(client, path, **kwargs):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    logger.addHandler(handler)
    try:
        response = client.get(path, **kwargs)
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return response, [line for line in lines if line["message"] == "request"]


def test_each_request_writes_one_line_with_its_id_status_and_duration(app):
    response, lines = request_lines(app.test_client(), "/no-such-page",
                                    headers={"X-Request-ID": "proxy-id-42"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "proxy-id-42"
    [line] = lines
    assert line["request_id"] == "proxy-id-42"
    assert (line["path"], line["method"], line["status"], line["user"]) == (
        "/no-such-page", "GET", 404, None)
    assert line["level"] == "INFO" and line["logger"] == "portal"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert "T" in line["time"]


def test_a_signed_in_request_names_the_user_by_kind_and_id_only(app, demo, resident_client):
    person = demo["by_key"]["contributor"]
    client = resident_client(person)
    response, [line] = request_lines(client, "/me/")
    assert response.status_code == 200
    assert line["user"].startswith("resident:") and line["user"][9:].isdigit()
    assert person["id_number"] not in json.dumps(line)
    assert len(response.headers["X-Request-ID"]) == 16  # made here when the proxy sent none


def test_static_files_write_no_line(app):
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    asset = home.split('href="/static/', 1)[1].split('"', 1)[0]
    response, lines = request_lines(client, "/static/" + asset)
    assert response.status_code == 200
    assert lines == []


def test_no_line_when_the_level_is_above_info(app):
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        response, lines = request_lines(app.test_client(), "/")
    finally:
        logger.setLevel(level)
    assert response.status_code == 200 and lines == []
