"""Nothing personal in the logs: phone numbers are masked in every log line.

``install()`` sets a log-record factory, so every record of the process — Seba's, Rasa's,
Sanic's, SQLAlchemy's, whatever handler writes it — is formatted once and has each
Bangladeshi mobile number replaced by its masked form (``01711000001`` → ``017•••••001``;
also with +88, separators or Bengali digits). It costs nothing for records below the log
level (the factory runs only for records that are emitted). SQL parameters are kept out of
error messages separately (``hide_parameters`` in ``seba.db``), and Seba's own code does not
log what customers write.
"""

import logging
from typing import Any

from seba.text import mask_phones

_installed = False
_FORMATTER = logging.Formatter()


def install() -> None:
    """Mask phones in every log record made from now on, in this process (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is logging's problem
            return record
        cleaned = mask_phones(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:  # tracebacks too (handlers reuse exc_text)
            record.exc_text = mask_phones(_FORMATTER.formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
