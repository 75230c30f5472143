"""Content staff's tools: the training data, answers and checks, and who changed what.

``seba.content.check``: ``make check-content`` — Rasa's data validation plus Seba's own
content checks, each problem with its file, line and a fix in Bangla and English.
``review_queue``/``labelling``/``answers``/``faqs``/``paths``/``changes``: the review and
answer pages' services. ``retrain``/``gate``/``jobs``/``model_store``/``tryit``/``locations``:
the retrain page's (a candidate model checked, gated and put live on every worker).
"""


def N_(message: str) -> str:
    """Marks a label or message the console shows for its Bangla catalog (``make
    console-messages`` reads the files listed in handoff/console/babel.cfg); the console
    translates it where it is shown. Here it stays English (the CLI's and the logs' text)."""
    return message


class Refusal(Exception):
    """A refusal staff read: ``str()`` is the English text; ``msgid`` and ``values`` let the
    console show it in its own language (``msgid % values``, marked with ``N_``)."""

    def __init__(self, msgid: str = "", **values: object) -> None:
        self.msgid, self.values = msgid, values
        super().__init__(msgid % values if values else msgid)
