"""Storing uploads safely: checked by magic bytes, images re-encoded (drops EXIF, including
location), random names outside static/, one row per file (security.md: uploads)."""

import hashlib
import io
import secrets
from pathlib import Path

from flask import current_app, send_file
from PIL import Image, UnidentifiedImageError

from ..extensions import db
from ..models import Upload
from ..rules import files


class UploadRejected(ValueError):
    """The message (a msgid) and the values it names, for the page to translate."""

    def __init__(self, message: str, **params):
        super().__init__(message)
        self.params = params


TOO_MANY_PIXELS = files.N_("This photo has too many pixels (more than %(megapixels)s million). "
                           "Take it again with the camera's normal setting, or make it smaller, "
                           "and upload it again.")


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _reencode(data: bytes, content_type: str) -> bytes:
    """A fresh image from the pixels only: metadata and anything hidden after them is gone.

    Decompression bombs: `Image.open` reads only the header, so the size is checked against
    UPLOAD_MAX_PIXELS before a single pixel is decoded (a 300 KB PNG can claim 8900×8900)."""
    limit = current_app.config["UPLOAD_MAX_PIXELS"]
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > limit:
                raise UploadRejected(TOO_MANY_PIXELS, megapixels=limit // 1_000_000)
            image.load()
            pixels = image.convert("RGB") if content_type == "image/jpeg" else image.copy()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow's own last line of defence, far above ours: the same answer.
        raise UploadRejected(TOO_MANY_PIXELS, megapixels=limit // 1_000_000) from error
    except (UnidentifiedImageError, OSError) as error:
        raise UploadRejected(files.N_("The photo could not be read. Take it again.")) from error
    out = io.BytesIO()
    pixels.save(out, format="JPEG" if content_type == "image/jpeg" else "PNG", quality=85)
    return out.getvalue()


def store(person_id: int, purpose: str, data: bytes, actor: str) -> Upload:
    problem = files.problem(data)
    if problem:
        raise UploadRejected(problem)
    content_type = files.sniff(data[:8])
    if content_type.startswith("image/"):
        data = _reencode(data, content_type)
    stored_name = secrets.token_hex(16) + files.ALLOWED[content_type]
    (upload_dir() / stored_name).write_bytes(data)
    upload = Upload(person_id=person_id, purpose=purpose, stored_name=stored_name,
                    content_type=content_type, size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor)
    db.session.add(upload)
    db.session.flush()
    return upload


def path_of(upload: Upload) -> Path:
    return upload_dir() / upload.stored_name


def send_upload(upload: Upload):
    """Always as a download with a neutral name: never rendered in the portal's own origin."""
    return send_file(path_of(upload), mimetype=upload.content_type, as_attachment=True,
                     download_name=f"document-{upload.id}{files.ALLOWED[upload.content_type]}",
                     max_age=0)
