"""A printed statement names the issuing agency and carries its electronic seal image, besides
the verification QR code (第十九条)."""

import base64
import subprocess

from portal.documents.seal import placeholder
from tests.integration.helpers import sign_in


def forget_seal(app):
    app.extensions.pop("portal_seal", None)


def pdf_images(tmp_path, data: bytes) -> str:
    path = tmp_path / "statement.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True,
                          check=True).stdout


def test_demo_statement_has_the_agency_and_a_sample_seal(client, app, demo, tmp_path):
    forget_seal(app)
    sign_in(client, app, demo["by_key"]["contributor"])
    page = client.get("/me/account/statement/all").get_data(as_text=True)
    assert "出具机构：青山县社会保险事业管理局" in page
    assert '<img class="seal" src="data:image/png;base64,' in page
    assert 'alt="青山县社会保险事业管理局电子印章"' in page
    assert "<svg" in page and "/verify/" in page  # the QR code stays
    pdf = client.get("/me/account/statement/all.pdf").data
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "青山县社会保险事业管理局" in text
    assert " image " in pdf_images(tmp_path, pdf) or "smask" in pdf_images(tmp_path, pdf)


def test_the_agency_configured_seal_is_the_one_printed(client, app, demo, tmp_path):
    own = tmp_path / "seal.png"
    own.write_bytes(placeholder("白水县社保局", size=200))
    saved = app.config.get("AGENCY_SEAL_PNG")
    app.config["AGENCY_SEAL_PNG"] = str(own)
    forget_seal(app)
    try:
        sign_in(client, app, demo["by_key"]["contributor"])
        page = client.get("/me/account/statement/all").get_data(as_text=True)
        assert base64.b64encode(own.read_bytes()).decode() in page
        assert "200" in pdf_images(tmp_path, client.get("/me/account/statement/all.pdf").data)
    finally:
        app.config["AGENCY_SEAL_PNG"] = saved
        forget_seal(app)


def test_no_seal_outside_demo_mode_unless_configured(client, app, demo):
    app.config["DEMO_MODE"], saved = False, app.config["DEMO_MODE"]
    forget_seal(app)
    try:
        sign_in(client, app, demo["by_key"]["contributor"])
        page = client.get("/me/account/statement/all").get_data(as_text=True)
        assert 'class="seal"' not in page and "出具机构：青山县社会保险事业管理局" in page
    finally:
        app.config["DEMO_MODE"] = saved
        forget_seal(app)
