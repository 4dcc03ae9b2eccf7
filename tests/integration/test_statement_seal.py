"""A printed statement names the issuing agency and carries its electronic seal image, besides
the verification QR code (第十九条)."""

import re
import subprocess

from portal.documents.seal import placeholder
from tests.integration.helpers import sign_in


def forget_seal(app):
    app.extensions.pop("portal_seal", None)


SEAL = re.compile(r'<img class="seal" src="(/me/account/seal\.png\?v=[0-9a-f]{16})"')


def seal_on(client, page: str):
    """The seal image a statement page shows, as the browser fetches it."""
    return client.get(SEAL.search(page).group(1))


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
    image = seal_on(client, page)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data.startswith(b"\x89PNG") and "base64," not in page  # not written into it
    assert image.headers["Cache-Control"] == "private, max-age=31536000, immutable"
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
        assert seal_on(client, page).data == own.read_bytes()
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
        assert client.get("/me/account/seal.png").status_code == 404
    finally:
        app.config["DEMO_MODE"] = saved
        forget_seal(app)


def test_the_seal_image_is_kept_only_under_its_own_fingerprint(client, app, demo):
    """Another fingerprint (an older seal's address) is answered with today's seal, which the
    browser must check again; anyone not signed in as a resident gets no image."""
    forget_seal(app)
    assert app.test_client().get("/me/account/seal.png").status_code in (302, 401, 403)
    sign_in(client, app, demo["by_key"]["contributor"])
    page = client.get("/me/account/statement/all").get_data(as_text=True)
    current = seal_on(client, page)
    older = client.get("/me/account/seal.png?v=0123456789abcdef")
    assert older.status_code == 200 and older.data == current.data
    assert older.headers["Cache-Control"] == "private, no-cache"
    assert client.get("/me/account").headers["Cache-Control"] == "no-store"  # pages as before
