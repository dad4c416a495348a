"""Errors shown to users: a message and a reference id; the traceback stays in the log, under that id."""

import logging
import uuid


class NotAllowed(Exception):
    """The action does not apply to this row (e.g. deleting the answers of a child who has not withdrawn)."""


def error_reference_logged(logger: logging.Logger, message: str, what: str) -> str:
    """Log the exception being handled with a new reference id; return ``message`` with the id for the user.

    Call inside an ``except`` block. Nothing of the exception (type, text, paths) reaches the user."""
    reference = uuid.uuid4().hex[:12]
    logger.exception("%s [reference %s]", what, reference)
    return f"{message} (reference {reference})"
