"""Custom Rasa NLU components (referenced from config.yml by their full path)."""

from seba.nlu.components import BengaliDigitNormalizer, OrderEntityExtractor

__all__ = ["BengaliDigitNormalizer", "OrderEntityExtractor"]
