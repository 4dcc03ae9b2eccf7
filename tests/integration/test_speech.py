"""Voice guidance (语音播报): on by default at kiosks, one tap away in 长辈版; heading, error
summary and main instruction spoken in Mandarin by espeak-ng, cached per message and language,
served as a small audio file; the page is the same without it."""

import io
import re
import shutil
import wave

import pytest

from portal import speech
from tests.integration.helpers import csrf_token

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is installed by `make system-test-deps`")
PLAYER = re.compile(r'<audio class="speech-player"[^>]*src="(/speech/(zh|en)/[0-9a-f]{32}\.wav)"')


def kiosk_client(app):
    client = app.test_client()
    client.set_cookie("kiosk", "1")
    return client


def test_the_guidance_is_the_heading_the_errors_and_the_main_instruction():
    html = """<header><h1>not this</h1></header><main id="main"><p>skip</p>
    <div class="error-summary"><h2>有问题</h2><ul><li><a href="#x">请输入手机号</a></li></ul></div>
    <h1 class="label-wrapper">您的手机号码</h1><p class="hint" id="h">11位数字</p>
    <p class="lead">不是这一段</p><dialog><p class="lead">nor this</p></dialog></main>"""
    assert speech.guidance_text(html) == "您的手机号码。有问题 请输入手机号。11位数字"


@needs_espeak
def test_kiosk_pages_speak_by_default_and_the_audio_is_small_and_cached(app):
    client = kiosk_client(app)
    page = client.get("/kiosk/").get_data(as_text=True)
    found = PLAYER.search(page)
    assert found and found.group(2) == "zh"
    assert "autoplay" in found.group(0) and "语音播报" in page
    audio = client.get(found.group(1))
    assert audio.status_code == 200 and audio.mimetype == "audio/wav"
    with wave.open(io.BytesIO(audio.data)) as sound:
        assert sound.getnchannels() == 1 and sound.getsampwidth() == 1
        assert sound.getnframes() / sound.getframerate() > 1  # really says something
    assert len(audio.data) < 200_000
    with app.app_context():
        key = found.group(1).rsplit("/", 1)[1][:-4]
        assert (speech.cache_dir() / f"{key}.zh.wav").exists()  # made once, then served
    assert client.get(found.group(1)).data == audio.data


@needs_espeak
def test_english_pages_are_spoken_in_english(app):
    client = kiosk_client(app)
    client.set_cookie("lang", "en")
    found = PLAYER.search(client.get("/kiosk/").get_data(as_text=True))
    assert found.group(2) == "en"
    assert client.get(found.group(1)).status_code == 200


@needs_espeak
def test_phones_are_silent_unless_asked_and_elder_mode_has_the_switch(app, client):
    assert not PLAYER.search(client.get("/sign-in").get_data(as_text=True))
    assert "语音播报" not in client.get("/sign-in").get_data(as_text=True)
    client.set_cookie("elder", "1")
    page = client.get("/sign-in")
    assert 'name="voice" value="1"' in page.get_data(as_text=True)  # one tap away
    switched = client.post("/preferences", data={"csrf_token": csrf_token(page), "voice": "1",
                                                  "return_to": "/sign-in"})
    assert switched.status_code == 302
    assert PLAYER.search(client.get("/sign-in").get_data(as_text=True))
    assert client.post("/preferences", data={"csrf_token": csrf_token(page),
                                             "voice": "loud"}).status_code == 400


@needs_espeak
def test_the_kiosk_can_turn_it_off(app):
    client = kiosk_client(app)
    client.set_cookie("voice", "0")
    page = client.get("/kiosk/").get_data(as_text=True)
    assert not PLAYER.search(page) and 'name="voice" value="1"' in page


@needs_espeak
def test_an_error_summary_is_spoken(app):
    client = kiosk_client(app)
    page = client.get("/report")
    response = client.post("/report", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 400
    found = PLAYER.search(response.get_data(as_text=True))
    key = found.group(1).rsplit("/", 1)[1][:-4]
    with app.app_context():
        words = (speech.cache_dir() / f"{key}.zh.txt").read_text(encoding="utf-8")
    assert words.startswith("举报") and "请选择要举报的内容" in words


def test_without_espeak_the_page_is_the_same_minus_the_player(app, monkeypatch):
    monkeypatch.setattr(speech, "engine", lambda: None)
    client = kiosk_client(app)
    page = client.get("/kiosk/").get_data(as_text=True)
    assert client.get("/kiosk/").status_code == 200
    assert "<audio" not in page and 'name="voice"' not in page
    assert "我已放好身份证" in page


def test_only_texts_the_portal_rendered_can_be_spoken(client):
    assert client.get("/speech/zh/" + "0" * 32 + ".wav").status_code == 404
    assert client.get("/speech/fr/" + "0" * 32 + ".wav").status_code == 404
    assert client.get("/speech/zh/..%2F..%2Fsecret_key.wav").status_code == 404


def test_no_exit_or_home_before_sign_in_at_the_kiosk(app):
    page = kiosk_client(app).get("/kiosk/").get_data(as_text=True)
    header = page.split("</header>")[0]
    assert "退出" not in header and "返回首页" not in header
    assert 'id="kiosk-exit" hidden' in page  # the idle timer still returns to the start
    assert '<figure class="kiosk-card-picture">' in page and 'role="img"' in page
