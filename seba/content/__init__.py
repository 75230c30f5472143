"""Content tools for staff who edit what the bot knows and says (data/, domain.yml).

``seba.content.check``: ``make check-content`` — Rasa's data validation plus Seba's own
content checks, each problem with its file, line and a fix in Bangla and English.
"""
