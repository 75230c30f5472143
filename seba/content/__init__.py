"""Content staff's tools: the training data, answers and checks, and who changed what.

``seba.content.check``: ``make check-content`` — Rasa's data validation plus Seba's own
content checks, each problem with its file, line and a fix in Bangla and English.
"""
