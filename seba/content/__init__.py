"""Content staff's tools: the training data, answers and checks, and who changed what.

``seba.content.check``: ``make check-content`` — Rasa's data validation plus Seba's own
content checks, each problem with its file, line and a fix in Bangla and English.
``review_queue``/``labelling``/``answers``/``faqs``/``paths``/``changes``: the review and
answer pages' services. ``retrain``/``gate``/``jobs``/``model_store``/``tryit``/``locations``:
the retrain page's (a candidate model checked, gated and put live on every worker).
"""
