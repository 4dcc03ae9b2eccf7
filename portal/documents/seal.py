"""The issuing agency's electronic seal (电子印章) on printed statements (第十九条).

Production: the agency's own seal image, a PNG named by AGENCY_SEAL_PNG. Demo mode without one:
a generated placeholder that says it is a sample, so nobody mistakes a demo print for a real one.
"""

import hashlib
import io
import math
from pathlib import Path

from flask import current_app, url_for

CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
             "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
RED = (200, 16, 30, 255)


def seal_png() -> bytes | None:
    """The seal's PNG bytes, or None (production without a configured seal)."""
    cache = current_app.extensions.setdefault("portal_seal", {})
    if "png" not in cache:
        configured = current_app.config.get("AGENCY_SEAL_PNG")
        if configured:
            cache["png"] = Path(configured).read_bytes()
        elif current_app.config.get("DEMO_MODE"):
            cache["png"] = placeholder(current_app.config["AGENCY_NAME"])
        else:
            cache["png"] = None
    return cache["png"]


def fingerprint() -> str | None:
    """A short hash of the seal's PNG: its address changes when the image does."""
    cache = current_app.extensions.setdefault("portal_seal", {})
    if "fingerprint" not in cache:
        png = seal_png()
        cache["fingerprint"] = hashlib.sha256(png).hexdigest()[:16] if png else None
    return cache["fingerprint"]


def seal_url() -> str | None:
    """The seal image's address for a statement page, or None when there is no seal. An image
    of its own, cached by the browser for good under an address that names its content, rather
    than 13 KB of base64 written into every statement page."""
    found = fingerprint()
    return None if found is None else url_for("resident.statement_seal", v=found)


def _font(size: int):
    from PIL import ImageFont

    for path in CJK_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def placeholder(agency: str, size: int = 360) -> bytes:
    """A round red sample seal: ring, star, the agency's name and 示例 (sample)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, size - 8, size - 8), outline=RED, width=14)
    centre, radius = size / 2, size * 0.13
    points = []
    for i in range(10):
        angle = -math.pi / 2 + i * math.pi / 5
        r = radius if i % 2 == 0 else radius * 0.4
        points.append((centre + r * math.cos(angle), centre + r * math.sin(angle)))
    draw.polygon(points, fill=RED)
    name = agency[:12]
    name_font = _font(int(size * 0.68 / max(len(name), 6)))
    draw.text((centre, size * 0.30), name, font=name_font, fill=RED, anchor="mm")
    draw.text((centre, size * 0.66), "示例", font=_font(size // 9), fill=RED, anchor="mm")
    draw.text((centre, size * 0.79), "SAMPLE", font=_font(size // 16), fill=RED, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
