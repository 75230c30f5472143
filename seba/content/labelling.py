"""Labelling a message of the review queue (it becomes a training example) or ignoring it.

The message is read again from the tracker store by its event id (the browser only says
which one), the label must be one the training files have (``training_files.labels``),
and the decision is claimed in the handoff database before anything is written: of two
staff labelling the same message at once, the second is told who was first and nothing
is written twice. Both are changes (``seba.content.changes``) and can be undone from the
page: the example is taken out again and the message is back in the queue.
"""

import datetime as dt
from pathlib import Path
from typing import Optional

from seba.content import N_, changes, decisions
from seba.content import training_files as tf
from seba.content.changes import ChangeView
from seba.content.files import ContentError, edit_lock, one_line
from seba.content.review_queue import example_text, find_occurrence
from seba.text import mask_phones

GONE = N_("This message is no longer in the conversations store (deleted?): nothing to do.")


def _message(engine, event_id: int):
    occurrence = find_occurrence(engine, event_id)
    if occurrence is None or not one_line(occurrence.text):
        raise ContentError(GONE)
    return occurrence


def _quote(text: str) -> str:
    text = mask_phones(text)
    return f"“{text[:80]}…”" if len(text) > 80 else f"“{text}”"


def label(
    root: Path,
    engine,
    staff,
    event_id: int,
    label_name: str,
    text: Optional[str] = None,
    now: Optional[dt.datetime] = None,
    url: Optional[str] = None,
) -> ChangeView:
    """Write the message (or ``text``, the staff member's cleaner version of it) as an
    example of ``label_name``. ContentError / decisions.AlreadyDecided say why not."""
    occurrence = _message(engine, event_id)
    tf.intent_file(root, label_name)  # refuses unknown labels before anything else
    example = example_text(occurrence.text if text is None else text)
    key = decisions.key_of(tf.normalised(occurrence.text))
    shown = mask_phones(one_line(occurrence.text))
    with edit_lock(root):
        decisions.claim(key, shown, "labelled", label_name, staff, now=now, url=url)
        try:
            change = changes.make(
                root,
                staff,
                "label",
                f"Labelled {_quote(example)} as {label_name}",
                [lambda: tf.add_example(root, label_name, example)],
                extra_ops=[
                    {
                        "op": "review",
                        "key": key,
                        "decision": "labelled",
                        "label": label_name,
                        "text": shown,
                    }
                ],
                now=now,
                url=url,
            )
        except BaseException:
            decisions.forget(key, url=url)
            raise
        decisions.attach(key, change.id, url=url)
    return change


def ignore(
    root: Path,
    engine,
    staff,
    event_id: int,
    now: Optional[dt.datetime] = None,
    url: Optional[str] = None,
) -> ChangeView:
    """Take the message (and every message written the same way) out of the queue."""
    occurrence = _message(engine, event_id)
    key = decisions.key_of(tf.normalised(occurrence.text))
    shown = mask_phones(one_line(occurrence.text))
    with edit_lock(root):
        decisions.claim(key, shown, "ignored", None, staff, now=now, url=url)
        try:
            change = changes.record(
                staff,
                "ignore",
                f"Ignored {_quote(shown)}",
                [{"op": "review", "key": key, "decision": "ignored", "text": shown}],
                [],
                now=now,
                url=url,
            )
        except BaseException:
            decisions.forget(key, url=url)
            raise
        decisions.attach(key, change.id, url=url)
    return change
