"""Rasa's WhitespaceTokenizer, for the messages the model is asked about, not its examples.

No component of Seba's pipeline reads tokens: the classifier splits words itself, the
extractors match the text. Tokens are still made for each message at run time, because
Rasa's NLU evaluation (``rasa test nlu``, cross-validation) lines entities up by token. The
training examples are left untokenized: tokenizing them and fingerprinting the tokens for
Rasa's training cache was ~3.5 s of a retrain after one new example.

A component that learns from tokens (Rasa's featurizers, DIET) needs Rasa's own
``WhitespaceTokenizer`` back in config.yml: only the components in ``TOKEN_FREE`` may follow
this one (tests/test_tokenizer.py checks config.yml).
"""

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.training_data import TrainingData

# What may follow this tokenizer: Seba's own components and Rasa's that read no tokens.
TOKEN_FREE = {
    "BengaliDigitNormalizer",
    "LinearIntentClassifier",
    "OrderEntityExtractor",
    "ProductEntityExtractor",
    "OutOfScopeDetector",
    "FaqKeySelector",
    "EntitySynonymMapper",
    "FallbackClassifier",
    "RegexEntityExtractor",
}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class RunTimeTokenizer(WhitespaceTokenizer):
    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
