"""Seba's human handoff: the agent queue, its Python API and the agent web console.

- ``handoff.queue``: what the bot's ``action_handoff`` calls (``enqueue`` ...) and what the
  console uses (``claim``, ``resolve``, ``hand_back`` ...).
- ``handoff.rasa_client``: Rasa's HTTP API (transcripts, agent replies, resume).
- ``handoff.console``: the aiohttp web app agents work in (``python -m handoff serve``).

See docs/handoff.md.
"""
