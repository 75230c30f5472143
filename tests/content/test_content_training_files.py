"""Writing examples into the training files: the diff is the one new line, comments and
order are kept, undo restores the original bytes, and typed text cannot inject YAML.

The attacks come first: every strange text either becomes exactly one clean example line
(read back by Rasa's own loader as exactly that text) or is refused with a plain message,
and the file keeps every other byte."""

import difflib
import hashlib

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from seba.content import files
from seba.content import training_files as tf
from seba.content.files import ContentError
from tests.content.helpers import copy_project
from tests.servers import ROOT


@pytest.fixture
def root(tmp_path):
    return copy_project(tmp_path / "project")


def snapshot(root):
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.yml"))
    }


def write(root, label, text):
    with files.edit_lock(root):
        return files.perform(root, [lambda: tf.add_example(root, label, text)])[0]


def remove(root, label, text):
    with files.edit_lock(root):
        return files.perform(root, [lambda: tf.remove_example(root, label, text)])[0]


def added_lines(before: str, after: str):
    diff = list(difflib.ndiff(before.splitlines(True), after.splitlines(True)))
    return (
        [d[2:] for d in diff if d.startswith("+ ")],
        [d[2:] for d in diff if d.startswith("- ")],
    )


def examples_read_by_rasa(root, label):
    data = load_data(str(root / tf.intent_file(root, label)))
    return [
        m.get("text")
        for m in data.intent_examples
        if (m.get("intent_response_key") or m.get("intent")) == label
    ]


# --- attacks ------------------------------------------------------------------------------------

INJECTIONS = [
    ("x\n- intent: evil", "x - intent: evil"),
    ("x\n  - intent: evil\n    examples: |\n      - pwned", "x - intent: evil examples: | - pwned"),
    ("courier charge: kemon porbe", "courier charge: kemon porbe"),
    ("# is this a comment? courier er khoroch", "# is this a comment? courier er khoroch"),
    ("| courier er bill koto", "| courier er bill koto"),
    ("courier\tbill\t\tkoto porbe", "courier bill koto porbe"),
    ("cou\x00ri\x07er\x1b[31m bill", "courier[31m bill"),
    ("\u202eকুরিয়ার বিল\u202c কত পড়বে\u200f?", "কুরিয়ার বিল কত পড়বে?"),
    ("courier\u2028bill\u2029kemon\x85?", "courier bill kemon?"),  # \x85: a C1 control
    ("'single' \"double\" `back` {curly} & *star !bang %pct @at", None),
    ("--- ... ? key", None),
    ("- - courier khoroch", None),
    ("\ufeffshipping khoroch kemon\ufffe\uffff", "shipping khoroch kemon"),
]


@pytest.mark.parametrize("typed,expected", INJECTIONS)
def test_typed_text_becomes_exactly_one_clean_example(root, typed, expected):
    expected = expected or typed
    path = root / "data" / "nlu" / "faq.yml"
    before, others = path.read_text(encoding="utf-8"), snapshot(root)

    edit = write(root, "faq/delivery_charge", typed)

    after = path.read_text(encoding="utf-8")
    plus, minus = added_lines(before, after)
    assert plus == [f"    - {expected}\n"] and minus == []
    assert edit.op == {
        "op": "add_example",
        "file": "data/nlu/faq.yml",
        "label": "faq/delivery_charge",
        "text": expected,
    }
    assert expected in examples_read_by_rasa(root, "faq/delivery_charge")
    assert "evil" not in [m.get("intent") for m in load_data(str(path)).intent_examples]
    changed = {k for k, v in snapshot(root).items() if others[k] != v}
    assert changed == {"data/nlu/faq.yml"}
    remove(root, "faq/delivery_charge", expected)
    assert path.read_bytes() == before.encode("utf-8")


@pytest.mark.parametrize(
    "typed,why",
    [
        ("ক" * 20000, "longer than 1000 characters"),
        ("", "empty"),
        (" \t\n\u200f\x00 ", "empty"),
        ('/faq{"x": 1}', "cannot start with “/”"),
        ("amar order [10456](order_number) kothay", "entity mark-up"),
        ('amar [order]{"entity": "x"} kothay', "entity mark-up"),
    ],
)
def test_texts_that_cannot_be_examples_are_refused_politely(root, typed, why):
    before = snapshot(root)
    with pytest.raises(ContentError, match=why.replace("[", r"\[")):
        write(root, "faq/delivery_charge", typed)
    assert snapshot(root) == before


@pytest.mark.parametrize(
    "label",
    [
        "../../etc",
        "../../etc/passwd",
        "faq/../../etc",
        "/etc/passwd",
        "evil",
        "faq/evil",
        "nlu_fallback",
        "",
        "faq",
        "greet\n- intent: evil",
        "EXTERNAL_handback",
    ],
)
def test_labels_that_do_not_exist_are_refused(root, label):
    before = snapshot(root)
    with pytest.raises(ContentError, match="is not an intent or FAQ of the bot"):
        write(root, label, "kisu ekta jante chai")
    assert snapshot(root) == before


def test_a_duplicate_of_any_example_is_refused_with_its_intent(root):
    # The same as "delivery hote koydin lage" in faq/delivery_time, but for case and "?".
    before = snapshot(root)
    with pytest.raises(ContentError, match="already has this example, under faq/delivery_time"):
        write(root, "faq/delivery_charge", "Delivery  hote koydin lage???")
    assert snapshot(root) == before


# --- the diff ----------------------------------------------------------------------------------


# A block laid out as the files are: Bangla, English, Banglish, then a later batch
# (Bangla, then Banglish) at its end.
LAYERED_FAQ = """version: "3.1"
nlu:
- intent: faq/delivery_time
  examples: |
    - ডেলিভারি কত দিনে হয়?
    - how long does delivery take
    - delivery koydin lage
    - রবিবারের আগে হাতে পাবো?
    - khulna te deliver hote koydin

- intent: faq/delivery_charge
  examples: |
    - ডেলিভারি চার্জ কত?
    - how much is delivery
    - delivery charge koto
"""


def test_an_example_goes_after_the_last_of_its_variety(root):
    path = root / "data" / "nlu" / "faq.yml"
    path.write_text(LAYERED_FAQ, encoding="utf-8")

    def neighbours(text):
        """The lines above and below the new one."""
        after = path.read_text(encoding="utf-8").splitlines(True)
        at = after.index(f"    - {text}\n")
        return after[at - 1], after[at + 1]

    write(root, "faq/delivery_time", "পার্সেল কবে আসবে বলতে পারবেন?")
    # After the last Bangla one, which is the later batch's: above its Banglish one.
    assert neighbours("পার্সেল কবে আসবে বলতে পারবেন?") == (
        "    - রবিবারের আগে হাতে পাবো?\n",
        "    - khulna te deliver hote koydin\n",
    )
    remove(root, "faq/delivery_time", "পার্সেল কবে আসবে বলতে পারবেন?")

    write(root, "faq/delivery_time", "when will the parcel reach khulna")
    assert neighbours("when will the parcel reach khulna") == (
        "    - how long does delivery take\n",
        "    - delivery koydin lage\n",
    )
    remove(root, "faq/delivery_time", "when will the parcel reach khulna")

    write(root, "faq/delivery_time", "parcel khulna te koydin e jabe vai")
    # The last Banglish one ends the block: the new one goes at its end.
    assert neighbours("parcel khulna te koydin e jabe vai") == (
        "    - khulna te deliver hote koydin\n",
        "\n",
    )
    remove(root, "faq/delivery_time", "parcel khulna te koydin e jabe vai")
    assert path.read_text(encoding="utf-8") == LAYERED_FAQ


@pytest.mark.parametrize(
    "label,file,text",
    [
        ("greet", "general.yml", "assalamualaikum, kew achen?"),
        ("rate", "rating.yml", "পাঁচ তারা দিলাম ভাই"),  # the file's last block
        ("order_status", "orders.yml", "my parcel still hasn't come, where is it"),
        ("faq/size_guide", "faq.yml", "xl mane koto inchi bhai"),
    ],
)
def test_labelling_changes_one_line_and_undo_restores_the_bytes(root, label, file, text):
    path = root / "data" / "nlu" / file
    original = path.read_bytes()
    others = snapshot(root)
    assert tf.intent_file(root, label) == f"data/nlu/{file}"
    count = len(examples_read_by_rasa(root, label))

    write(root, label, text)

    plus, minus = added_lines(original.decode("utf-8"), path.read_text(encoding="utf-8"))
    assert plus == [f"    - {text}\n"] and minus == []
    read = examples_read_by_rasa(root, label)
    assert len(read) == count + 1 and text in read
    assert {k for k, v in snapshot(root).items() if others[k] != v} == {f"data/nlu/{file}"}

    remove(root, label, text)
    assert path.read_bytes() == original
    assert snapshot(root) == others


def test_undo_of_an_example_that_is_gone_says_so(root):
    with pytest.raises(ContentError, match="no longer an example of greet"):
        remove(root, "greet", "this was never an example")


def test_a_failed_step_leaves_every_file_as_it_was(root):
    before = snapshot(root)

    def broken():
        raise ContentError("no")

    with files.edit_lock(root), pytest.raises(ContentError):
        files.perform(root, [lambda: tf.add_example(root, "greet", "hello hello friend"), broken])
    assert snapshot(root) == before


def test_labels_are_the_intents_with_examples_and_the_faq_keys(root):
    labels = tf.labels(root)
    assert "greet" in labels and "faq/delivery_time" in labels and "rate" in labels
    assert "nlu_fallback" not in labels and "faq" not in labels
    assert "EXTERNAL_handback" not in labels  # in the domain, but without examples
    assert tf.faq_keys(root)[:2] == ["delivery_time", "delivery_charge"]
    assert tf.intent_file(root, "faq/warranty") == tf.FAQ_FILE


@pytest.mark.parametrize(
    "name",
    [
        "data/nlu/faq.yml",
        "data/nlu/general.yml",
        "data/nlu/orders.yml",
        "data/nlu/products.yml",
        "data/nlu/rating.yml",
        "domain.yml",
        "data/rules.yml",
        "data/stories.yml",
    ],
)
def test_the_round_trip_gives_back_every_byte_of_our_files(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    assert files.dump(files.load(text)) == text
