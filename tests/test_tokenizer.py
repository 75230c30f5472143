"""seba.nlu.RunTimeTokenizer: tokens for the messages asked about, none for the examples."""

from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import read_yaml_file

from seba import PROJECT_ROOT
from seba.nlu.tokenizer import TOKEN_FREE, RunTimeTokenizer


def _tokenizer():
    return RunTimeTokenizer(RunTimeTokenizer.get_default_config())


def test_messages_asked_about_get_rasas_whitespace_tokens():
    message = Message(data={TEXT: "আমার অর্ডারটা কোথায়?"})
    _tokenizer().process([message])
    assert [t.text for t in message.get(TOKENS_NAMES[TEXT])] == ["আমার", "অর্ডারটা", "কোথায়"]


def test_training_examples_are_left_untokenized():
    example = Message(data={TEXT: "amar order kothay", "intent": "order_status"})
    _tokenizer().process_training_data(TrainingData(training_examples=[example]))
    assert example.get(TOKENS_NAMES[TEXT]) is None


def test_no_component_after_it_in_config_yml_learns_from_tokens():
    # A featurizer or DIET after this tokenizer would train on examples without tokens.
    names = [c["name"] for c in read_yaml_file(PROJECT_ROOT / "config.yml")["pipeline"]]
    after = names[names.index("seba.nlu.RunTimeTokenizer") + 1 :]
    assert after and all(name.rsplit(".", 1)[-1] in TOKEN_FREE for name in after), after
