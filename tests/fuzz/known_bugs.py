"""Product bugs the fuzz tests found that are not fixed yet (outside tests/fuzz).

Each is pinned by a ``strict`` xfail test next to the fuzz test that found it (it turns red
once the bug is fixed: then delete the predicate here and the xfail test), and the fuzz test
leaves out only inputs of that one kind (``hypothesis.assume``), so it keeps guarding all else.
"""

from typing import Any

from tests.fuzz.rest_bodies import SENDER


def rest_sender_with_trailing_newline(document: Any) -> bool:
    """channels/rest.py checks the sender with ``re.match(r"^[...]{1,128}$")``: ``$`` also
    matches before a final newline, so ``"abc\\n"`` is taken (200, conversation
    ``rest:abc\\n``) instead of refused with 400 as docs/channels.md says.
    Fix: ``SENDER_PATTERN.fullmatch`` (or ``\\Z``)."""
    sender = document.get("sender") if isinstance(document, dict) else None
    return (isinstance(sender, str) and sender.endswith("\n")
            and SENDER.fullmatch(sender[:-1]) is not None)


def console_form_body_unparseable(request: Any) -> bool:
    """handoff/console/helpers.py ``read_form`` lets aiohttp's ``request.post()`` raise: an
    url-encoded body that is not UTF-8 (``b"\\x80"``: ``UnicodeDecodeError``) or a
    multipart body without its boundary (``b""``: ``ValueError``) gets a 500 instead of 400.
    Fix: catch ``ValueError`` (``UnicodeDecodeError`` is one) in ``read_form`` and answer 400.
    Fuzzed raw bytes under a multipart type never hold a valid multipart body, so all of them
    are left out; url-encoded ones only when they are not UTF-8."""
    if request.encoding != "raw":
        return False
    if request.content_type.startswith("multipart/"):
        return True
    if not request.content_type.startswith("application/x-www-form-urlencoded"):
        return False
    try:
        request.fields.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def messenger_batch_of_odd_shape(payload: Any) -> bool:
    """channels/facebook.py ``SebaMessenger.jobs``/``_job`` trust the batch's shape: an
    ``entry`` or ``messaging`` that is a number (``{"object": "page", "entry": 1}``:
    ``TypeError``) or an event whose ``sender`` is not an object (``AttributeError``) gets a
    500 instead of 200 (nothing to answer) or 400. Fix: check the types before iterating.
    This walks the batch the way the channel does and says whether that walk would raise."""
    if not isinstance(payload, dict) or payload.get("object") != "page":
        return False
    try:
        for entry in payload.get("entry") or []:
            if isinstance(entry, dict):
                for event in entry.get("messaging") or []:
                    if isinstance(event, dict):
                        (event.get("sender") or {}).get("id")
    except (TypeError, AttributeError):
        return True
    return False
