"""Voice guidance (语音播报): each page's heading, error summary and main instruction read aloud.

On by default at kiosks, one tap away in 长辈版 (the `voice` preference cookie). The words come
from the rendered page itself (after_request), so every page gets it without extra code. The audio
is made on the server by Debian's espeak-ng, cached on disk per message and language, and served
as a small WAV file. Without espeak-ng (or without JavaScript) the page is exactly the same,
minus the player.

The cache key is an HMAC of language and text under SECRET_KEY: only words this portal has put on
a page can be spoken, and nobody can probe which texts (names in a greeting) were spoken.
"""

import hashlib
import hmac
import io
import re
import shutil
import subprocess
import wave
from html.parser import HTMLParser
from pathlib import Path

from flask import Blueprint, abort, current_app, g, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from .cookies import cookie

bp = Blueprint("speech", __name__, url_prefix="/speech")
VOICES = {"zh": "cmn", "en": "en"}
MAX_CHARACTERS = 400  # a heading, a summary and one instruction, not the whole page
KEY = re.compile(r"^[0-9a-f]{32}$")
SPOKEN_STATUSES = (200, 400, 401, 403, 404, 410)  # pages a person reads, errors included


def init_app(app):
    app.register_blueprint(bp)
    app.after_request(add_voice)


def engine() -> str | None:
    """The espeak-ng binary, or None: then nothing is spoken and nothing else changes. Looked
    up once per app (every page asks; searching PATH each time cost more than the answer)."""
    found = current_app.extensions.get("portal_espeak", False)
    if found is False:
        configured = current_app.config.get("ESPEAK_NG")
        found = configured if configured and Path(configured).exists() \
            else shutil.which("espeak-ng")
        current_app.extensions["portal_espeak"] = found
    return found


def voice_on() -> bool:
    return voice_on_for(g.get("kiosk", False))


def voice_on_for(kiosk: bool) -> bool:
    """Whether guidance is spoken: as the visitor chose (the `voice` cookie), else at kiosks."""
    wanted = cookie("voice")
    return wanted == "1" or (wanted is None and kiosk)


def cache_dir() -> Path:
    return Path(current_app.instance_path) / "speech"


def key_for(language: str, text: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"{language}\n{text}".encode(), hashlib.sha256).hexdigest()[:32]


class _Guidance(HTMLParser):
    """Collects the first <h1>, the error summary and the main instruction (.lead, .hint or
    [data-speak]) from a rendered page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = {"heading": [], "errors": [], "instruction": []}
        self.stack: list[str | None] = []  # which part each open element feeds
        self.done = set()

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "input", "meta", "link", "hr"):
            return
        part = self.stack[-1] if self.stack else None
        if tag in ("script", "style", "svg", "template", "dialog"):
            part = "skip"
        elif part is None:
            part = self._starts(tag, dict(attrs))
        self.stack.append(part)

    def _starts(self, tag: str, attributes: dict) -> str | None:
        """The part an element outside every part begins, each part only once."""
        classes = (attributes.get("class") or "").split()
        candidates = (("heading", tag == "h1"), ("errors", "error-summary" in classes),
                      ("instruction", "lead" in classes or "hint" in classes
                       or "data-speak" in attributes))
        return next((part for part, found in candidates if found and part not in self.done),
                    None)

    def handle_endtag(self, tag):
        if tag in ("br", "img", "input", "meta", "link", "hr") or not self.stack:
            return
        part = self.stack.pop()
        if part in self.parts and (not self.stack or self.stack[-1] != part):
            self.done.add(part)

    def handle_data(self, data):
        part = self.stack[-1] if self.stack else None
        if part in self.parts and data.strip():
            self.parts[part].append(data.strip())

    def text(self) -> str:
        pieces = [" ".join(self.parts[name]) for name in ("heading", "errors", "instruction")]
        return "。".join(piece for piece in pieces if piece)[:MAX_CHARACTERS]


def guidance_text(html: str) -> str:
    main = html.split('<main', 1)[-1].split("</main>", 1)[0]
    parser = _Guidance()
    parser.feed("<main" + main)
    return parser.text()


def add_voice(response):
    """Put a player for the page's guidance at the top of <main> (autoplaying at the kiosk)."""
    if response.status_code not in SPOKEN_STATUSES or response.mimetype != "text/html" \
            or response.direct_passthrough or not voice_on() or engine() is None:
        return response
    html = response.get_data(as_text=True)
    anchor = re.search(r'<main[^>]*>', html)
    if anchor is None:
        return response
    text = guidance_text(html)
    if not text:
        return response
    language = "en" if str(get_locale()).startswith("en") else "zh"
    key = key_for(language, text)
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    words = folder / f"{key}.{language}.txt"
    if not words.exists():
        words.write_text(text, encoding="utf-8")
    label = _("Voice guidance (语音播报)")
    player = (
        '<div class="speech no-print"><p class="speech-label" id="speech-label">'
        f'{label}</p>'
        f'<audio class="speech-player" controls autoplay preload="auto" '
        f'aria-labelledby="speech-label" data-speech '
        f'src="{url_for("speech.audio", key=key, language=language)}"></audio></div>')
    html = html[:anchor.end()] + player + html[anchor.end():]
    response.set_data(html)
    return response


@bp.get("/<language>/<key>.wav")
def audio(language, key):
    """The spoken guidance of a page this portal rendered; made once, then from the cache."""
    if language not in VOICES or not KEY.match(key):
        abort(404)
    folder = cache_dir()
    words, sound = folder / f"{key}.{language}.txt", folder / f"{key}.{language}.wav"
    if not sound.exists():
        binary = engine()
        if binary is None or not words.exists():
            abort(404)
        sound.write_bytes(synthesise(binary, words.read_text(encoding="utf-8"), language))
    response = send_file(io.BytesIO(sound.read_bytes()), mimetype="audio/wav",
                         max_age=86400)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def synthesise(binary: str, text: str, language: str) -> bytes:
    """espeak-ng at an unhurried pace, made small: 11 kHz, 8-bit mono is enough for speech."""
    done = subprocess.run([binary, "-v", VOICES[language], "-s", "140", "--stdout", text],
                          capture_output=True, timeout=20, check=True)
    return shrink(done.stdout)


def shrink(wav_bytes: bytes) -> bytes:
    with wave.open(io.BytesIO(wav_bytes)) as source:
        channels, width, rate = source.getnchannels(), source.getsampwidth(), source.getframerate()
        frames = source.readframes(source.getnframes())
    if channels != 1 or width != 2:
        return wav_bytes
    step = 2 if rate >= 22050 else 1
    samples = memoryview(frames).cast("h")[::step]
    eight_bit = bytes(((sample >> 8) + 128) & 0xFF for sample in samples)
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(1)
        target.setframerate(rate // step)
        target.writeframes(eight_bit)
    return out.getvalue()
