"""Seba's custom actions (rasa-sdk action server: ``rasa run actions --actions actions``).

Actions are thin: read the tracker, call ``seba.shop``, and utter a response from
domain.yml with values formatted for the customer's language (``seba.i18n``).
They never write reply text themselves, and every failure ends in
``utter_technical_problem`` (see ``actions.base``), never in silence.
"""
