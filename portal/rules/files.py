"""What an uploaded file really is, judged by its first bytes (security.md: allow-list + magic)."""

from .ids import N_

ALLOWED = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 6


def sniff(head: bytes) -> str | None:
    """The content type from magic bytes; None for anything not on the allow-list."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def problem(data: bytes) -> str | None:
    if not data:
        return N_("The selected file is empty")
    if len(data) > MAX_BYTES:
        return N_("Each file must be smaller than 5 MB")
    if sniff(data[:8]) is None:
        return N_("The file must be a photo (JPG or PNG) or a PDF")
    return None
