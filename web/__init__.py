"""Seba's website chat bubble: the demo shop page and its static server (see docs/web-bubble.md)."""
