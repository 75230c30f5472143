"""Seba benchmark against stock Rasa 3.6 (see bench/README.md)."""
