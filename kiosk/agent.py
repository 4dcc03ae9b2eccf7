"""Terminal agent: reads the resident's identity card (or 电子社保卡 QR code) through a reader
driver, optionally runs a face match, and posts a signed assertion to the portal.

    python -m kiosk.agent --portal https://portal.example --key /etc/kiosk/terminal.key \
        --device-id KIOSK-539901101-01 [--card /run/idcard/card.json] [--port 8765]
    python -m kiosk.agent --generate-key /etc/kiosk/terminal.key   # once, at set-up
    python -m kiosk.agent --show-public-key --key /etc/kiosk/terminal.key   # for the console

The portal keeps only the public key. An assertion is the JSON
{"device_id", "card": {"name", "id_type", "id_number"} | "essc": code, "face", "time", "nonce"},
sent base64url-encoded with its Ed25519 signature; the portal accepts it only fresh (≤ 30 s),
once, and from a registered, active terminal.

Readers are drivers behind one small interface (`read() -> dict | None`). Two ship here: a file
the real reader's vendor daemon writes (`--card`), and a development page where a tester types
the card (the simulated reader, used in tests and in the demo).
"""

import argparse
import base64
import html
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def load_key(path: Path) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(path.read_bytes())


def generate_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key.private_bytes(serialization.Encoding.Raw,
                                       serialization.PrivateFormat.Raw,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    return key


def public_key_b64(key: Ed25519PrivateKey) -> str:
    return b64(key.public_key().public_bytes(serialization.Encoding.Raw,
                                             serialization.PublicFormat.Raw))


def sign_assertion(key: Ed25519PrivateKey, device_id: str, *, card: dict | None = None,
                   essc: str | None = None, face: str = "none",
                   now: float | None = None, nonce: str | None = None) -> dict:
    """The form fields the portal's /kiosk/assertion expects."""
    claims = {"device_id": device_id, "face": face, "time": int(now or time.time()),
              "nonce": nonce or secrets.token_hex(16)}
    if essc:
        claims["essc"] = essc
    else:
        claims["card"] = card
    message = json.dumps(claims, ensure_ascii=False, sort_keys=True).encode()
    return {"assertion": b64(message), "signature": b64(key.sign(message))}


class CardReader(Protocol):
    def read(self) -> dict | None: ...


class FileReader:
    """The vendor's reader daemon writes the chip's fields to a JSON file while a card is on."""

    def __init__(self, path: Path):
        self.path = path

    def read(self):
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None


def face_match(card: dict) -> str:
    """Simulated face check against the card photo; a real terminal calls its camera SDK."""
    return "match"


HANDOFF = """<!doctype html><html lang="zh-Hans-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>正在登录</title>
<style>body{{font-family:sans-serif;font-size:32px;margin:48px}}
button{{font-size:32px;min-height:80px;padding:0 32px}}</style></head>
<body onload="document.forms[0].submit()"><h1>正在登录，请稍候……</h1>
<form method="post" action="{action}">
<input type="hidden" name="assertion" value="{assertion}">
<input type="hidden" name="signature" value="{signature}">
<button type="submit">继续</button></form></body></html>"""

SIMULATOR = """<!doctype html><html lang="zh-Hans-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>模拟读卡器</title>
<style>body{{font-family:sans-serif;font-size:28px;margin:48px}}
input,select,button{{font-size:28px;min-height:64px;margin:8px 0;display:block}}</style></head>
<body><h1>模拟身份证读卡器（开发与测试用）</h1>
<form method="post" action="/read">
<label for="name">姓名</label><input id="name" name="name" value="{name}">
<label for="id_number">公民身份号码</label><input id="id_number" name="id_number" value="{number}">
<label><input type="checkbox" name="face" value="match" checked> 人脸比对通过</label>
<button type="submit">放上身份证</button></form>
<form method="post" action="/read-essc">
<label for="essc">电子社保卡二维码内容</label><input id="essc" name="essc">
<button type="submit">扫码</button></form></body></html>"""


def make_handler(portal: str, key: Ed25519PrivateKey, device_id: str,
                 reader: CardReader | None):
    action = portal.rstrip("/") + "/kiosk/assertion"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # nothing personal in the terminal's logs
            pass

        def _send(self, body: str, status: int = 200):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handoff(self, fields: dict):
            self._send(HANDOFF.format(action=html.escape(action),
                                      assertion=fields["assertion"],
                                      signature=fields["signature"]))

        def _form(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            values = parse_qs(self.rfile.read(length).decode())
            return {k: v[0] for k, v in values.items()}

        def do_GET(self):
            if self.path.startswith("/read") and reader is not None:
                card = reader.read()
                if card is None:
                    return self._send("<h1>请把身份证放在读卡器上</h1>", 409)
                return self._handoff(sign_assertion(key, device_id, card=card,
                                                    face=face_match(card)))
            return self._send(SIMULATOR.format(name="", number=""))

        def do_POST(self):
            form = self._form()
            if self.path == "/read":
                card = {"name": form.get("name", ""), "id_type": "resident_id",
                        "id_number": form.get("id_number", "")}
                return self._handoff(sign_assertion(key, device_id, card=card,
                                                    face=form.get("face", "none")))
            if self.path == "/read-essc":
                return self._handoff(sign_assertion(key, device_id, essc=form.get("essc")))
            return self._send("not found", 404)

    return Handler


def serve(portal: str, key: Ed25519PrivateKey, device_id: str, port: int = 8765,
          reader: CardReader | None = None, background: bool = False):
    server = ThreadingHTTPServer(("127.0.0.1", port),
                                 make_handler(portal, key, device_id, reader))
    if background:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server
    server.serve_forever()
    return server


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portal", default="http://127.0.0.1:5000",
                        help="the portal that receives the signed assertions")
    parser.add_argument("--key", type=Path, help="this terminal's Ed25519 private key")
    parser.add_argument("--device-id", help="the terminal id registered in the console")
    parser.add_argument("--card", type=Path,
                        help="JSON file the reader daemon writes (unset: simulated reader page)")
    parser.add_argument("--port", type=int, default=8765,
                        help="local port; the portal's KIOSK_AGENT_URL must point here")
    parser.add_argument("--generate-key", type=Path, metavar="PATH",
                        help="create a key file (0600), print its public key and exit")
    parser.add_argument("--show-public-key", action="store_true",
                        help="print the public key of --key and exit")
    args = parser.parse_args(argv)
    if args.generate_key:
        print(public_key_b64(generate_key(args.generate_key)))
        return
    key = load_key(args.key)
    if args.show_public_key:
        print(public_key_b64(key))
        return
    serve(args.portal, key, args.device_id, args.port,
          FileReader(args.card) if args.card else None)


if __name__ == "__main__":
    main()
