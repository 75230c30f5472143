"""Custom Rasa NLU components (referenced from config.yml by their full path)."""

from seba.nlu.components import BengaliDigitNormalizer, FaqResponseSelector, OrderEntityExtractor
from seba.nlu.e5 import E5Featurizer
from seba.nlu.linear_classifier import LinearIntentClassifier
from seba.nlu.products import ProductEntityExtractor

__all__ = [
    "BengaliDigitNormalizer", "E5Featurizer", "FaqResponseSelector", "LinearIntentClassifier",
    "OrderEntityExtractor", "ProductEntityExtractor",
]
