"""Custom Rasa NLU components (referenced from config.yml by their full path)."""

from seba.nlu.components import BengaliDigitNormalizer, FaqKeySelector, OrderEntityExtractor
from seba.nlu.linear_classifier import LinearIntentClassifier
from seba.nlu.out_of_scope import OutOfScopeDetector
from seba.nlu.products import ProductEntityExtractor
from seba.nlu.tokenizer import RunTimeTokenizer

__all__ = [
    "BengaliDigitNormalizer",
    "FaqKeySelector",
    "LinearIntentClassifier",
    "OrderEntityExtractor",
    "OutOfScopeDetector",
    "ProductEntityExtractor",
    "RunTimeTokenizer",
]
