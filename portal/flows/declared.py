"""Importing this registers every flow and its lifecycle (for the pages and the console)."""

from . import changes, claim, closure, enrolment, requests  # noqa: F401
