"""Static files with fingerprinted names, cached for a year and sent compressed; public pages
compressed too.

`url_for('static', filename='css/portal.css')` gives `/static/css/portal.<hash>.css` (the first 12
hex digits of the file's SHA-256), so templates stay as they are and a changed file is a new URL:
the old one may be cached for a year (`immutable`), and a browser never revalidates an asset per
page. The files are read, hashed and gzipped once per process on first use (a few dozen KB) and
served from memory. The plain names (`/static/css/portal.css`) still work, with a short cache and
an ETag, for anything that links to them from outside.

Dynamic pages: only anonymous HTML is compressed. A signed-in page holds personal data next to
text a request may reflect; compressing both together over TLS is what BREACH measures, so those
pages go out as they are (a proxy in front must not compress them either: docs/scaling.md).
"""

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, request, session

from .application import only_for

YEAR = 365 * 24 * 3600
COMPRESSIBLE = (".css", ".js", ".svg", ".ico", ".json", ".txt", ".html", ".map")
MIN_COMPRESS_BYTES = 1024
_FINGERPRINT = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<suffix>\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class Asset:
    name: str  # as in templates: css/portal.css
    data: bytes
    gzipped: bytes | None
    mimetype: str
    digest: str  # 12 hex digits
    mtime: float

    @property
    def fingerprinted(self) -> str:
        stem, dot, suffix = self.name.rpartition(".")
        return f"{stem}.{self.digest}.{suffix}" if dot else f"{self.name}.{self.digest}"


class Assets:
    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.files: dict[str, Asset] = {}

    def _read(self, name: str) -> Asset | None:
        path = (self.folder / name).resolve()
        if self.folder.resolve() not in path.parents or not path.is_file():
            return None
        data = path.read_bytes()
        gzipped = None
        if path.suffix in COMPRESSIBLE and len(data) >= MIN_COMPRESS_BYTES:
            packed = gzip.compress(data, 9, mtime=0)
            gzipped = packed if len(packed) < len(data) * 0.9 else None
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if mimetype.startswith("text/") or mimetype in ("application/javascript",
                                                        "image/svg+xml"):
            mimetype += "; charset=utf-8"
        return Asset(name=name, data=data, gzipped=gzipped, mimetype=mimetype,
                     digest=hashlib.sha256(data).hexdigest()[:12], mtime=path.stat().st_mtime)

    def get(self, name: str) -> Asset | None:
        found = self.files.get(name)
        if found is None or (current_app.debug and self._changed(found)):
            found = self._read(name)
            if found is not None:
                self.files[name] = found
        return found

    def _changed(self, asset: Asset) -> bool:
        try:
            return (self.folder / asset.name).stat().st_mtime != asset.mtime
        except OSError:
            return True

    def url_name(self, name: str) -> str:
        found = self.get(name)
        return found.fingerprinted if found else name

    def response(self, filename: str):
        """The static endpoint: a fingerprinted name is immutable for a year; a plain name gets
        an hour and an ETag; anything else is 404."""
        from flask import abort

        immutable = False
        found = self.get(filename)
        if found is None:
            match = _FINGERPRINT.match(filename)
            if match:
                found = self.get(match["stem"] + match["suffix"])
                if found is None or found.digest != match["hash"]:
                    abort(404)  # an old fingerprint: its content is gone, never serve another
                immutable = True
        if found is None:
            abort(404)
        response = current_app.response_class(mimetype=found.mimetype)
        response.headers["Cache-Control"] = (f"public, max-age={YEAR}, immutable" if immutable
                                             else "public, max-age=3600")
        response.set_etag(found.digest)
        response.vary.add("Accept-Encoding")
        if request.if_none_match.contains(found.digest):
            response.status_code = 304
            return response
        if found.gzipped and _accepts_gzip():
            response.set_data(found.gzipped)
            response.headers["Content-Encoding"] = "gzip"
        else:
            response.set_data(found.data)
        return response


def _accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def compress_anonymous_page(response):
    """gzip an anonymous HTML page (after_request). Level 5: ~0.1 ms for a public page."""
    if (response.status_code != 200 or response.direct_passthrough
            or response.mimetype != "text/html" or "Content-Encoding" in response.headers
            or getattr(session, "token", None) is not None or "_user_id" in session
            or not _accepts_gzip()):
        return response
    data = response.get_data()
    if len(data) < MIN_COMPRESS_BYTES:
        return response
    response.set_data(gzip.compress(data, 5, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def init_app(app) -> None:
    assets = Assets(app.static_folder)
    app.extensions["portal_assets"] = assets

    @app.url_defaults
    @only_for("static")
    def fingerprint(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = assets.url_name(values["filename"])

    app.view_functions["static"] = assets.response
    app.after_request(compress_anonymous_page)
