"""Addresses built once (portal.application.Portal.url_for): the same as Flask builds
them, for every script root and value, and never kept where a URL-defaults function adds to
them. And Flask's coroutine check, kept per function, still answers as Flask does."""

from flask import Flask, g, url_for


def _flask_built(app, endpoint, **values):
    """What Flask itself builds, bypassing what the portal keeps."""
    return Flask.url_for(app, endpoint, **values)


def test_a_kept_address_reads_as_flask_builds_it_under_every_script_root(app):
    cases = [("resident.account", {}), ("resident.statement_pdf", {"period": "2025"}),
             ("resident.statement_pdf", {"period": "all"}), ("public.sign_in", {}),
             ("public.sign_in", {"next": "/me/?a=1&b=二"}), ("public.keep_alive", {})]
    for root in ("", "/pension", "/other"):
        for _ in range(2):  # the second time from what was kept
            with app.test_request_context("/", base_url=f"http://localhost{root}/"):
                for endpoint, values in cases:
                    built = url_for(endpoint, **values)
                    assert built == _flask_built(app, endpoint, **values)
                    assert built.startswith(root + "/")
    assert any(key[0] == "resident.statement_pdf" for key in app._kept_addresses)


def test_flow_addresses_carry_the_assisted_consent_and_are_never_kept(app):
    with app.test_request_context("/"):
        plain = url_for("flows.start", flow_name="change")
        g.consent_id = 42
        assisted = url_for("flows.start", flow_name="change")
    assert "consent_id" not in plain and "42" in assisted
    assert not any(key[0].startswith("flows.") for key in app._kept_addresses)


def test_static_addresses_are_fingerprinted_and_others_still_kept(app):
    with app.test_request_context("/"):
        assert url_for("static", filename="css/portal.css") != "/static/css/portal.css"
        assert app._keepable("resident.account") and not app._keepable("static")
        assert not app._keepable("flows.start")


def test_what_cannot_be_kept_is_built_every_time(app):
    with app.test_request_context("/"):
        # a list value (a repeated query argument), an anchor and an external address
        assert url_for("public.sign_in", tag=["a", "b"]).endswith("?tag=a&tag=b")
        assert url_for("resident.account", _anchor="top").endswith("#top")
        assert url_for("resident.account", _external=True).startswith("http")
    assert not any(key[0] == "public.sign_in" and "tag" in dict(key[2:])
                   for key in app._kept_addresses)


def test_a_kept_coroutine_answer_is_flasks(app):
    import pytest

    def plain():
        return "plain"

    async def coroutine():
        return "awaited"

    for _ in range(2):  # the second time from what was kept
        assert app.ensure_sync(plain) is plain
        with pytest.raises(RuntimeError, match="async"):  # as Flask without its async extra
            app.ensure_sync(coroutine)
