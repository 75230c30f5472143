"""Each kind of content mistake, in a broken fixture project, is caught with the right file,
line and message, in Bangla and English (issue 11, "Safe editing").

Rasa's own `rasa data validate` is left out here (--no-rasa); test_check_cli.py runs it.
"""

import re

import pytest

from seba.content.check import run_checks
from seba.content.problems import ERROR, WARNING
from tests.content.conftest import line_with

BENGALI = re.compile(r"[\u0980-\u09ff]")
NLU_GENERAL, NLU_FAQ, DOMAIN = "data/nlu/general.yml", "data/nlu/faq.yml", "domain.yml"
RULES, STORIES = "data/rules.yml", "data/stories.yml"
ODD = "data/nlu/নতুন FAQ (copy) #2; it's $HOME & `x`.yml"

# (fixture, check, severity, file, where (see _expected_line), words in message_en)
EXPECTED = [
    ("yaml_syntax", "yaml_syntax", ERROR, NLU_FAQ, 48, "not valid YAML"),
    (
        "yaml_duplicate",
        "yaml_syntax",
        ERROR,
        DOMAIN,
        ("utter_greet:", "utter_greet:"),
        "«utter_greet» is written twice",
    ),
    (
        "control_character_file",
        "yaml_syntax",
        ERROR,
        NLU_GENERAL,
        "\x07",
        "control character (\\u0007)",
    ),
    ("not_utf8", "not_utf8", ERROR, "data/nlu/extra.yml", 5, "not saved as UTF-8"),
    ("few_examples", "few_examples", ERROR, NLU_GENERAL, "- intent: greet", "9 English examples"),
    ("few_examples", "few_examples", ERROR, NLU_GENERAL, "- intent: thank", "7 Banglish"),
    ("few_examples", "few_examples", ERROR, DOMAIN, "- order_status", "has no examples"),
    (
        "duplicate_example",
        "duplicate_example",
        ERROR,
        NLU_FAQ,
        "Delivery in ২৪ hours",
        "also of «faq/delivery_charge»",
    ),
    (
        "duplicate_example",
        "duplicate_example",
        ERROR,
        NLU_GENERAL,
        "Hello   there!!",
        "also of «greet»",
    ),
    ("odd_filename", "duplicate_example", ERROR, ODD, "kemon acen", "also of «greet»"),
    (
        "near_duplicate",
        "near_duplicate",
        ERROR,
        NLU_FAQ,
        "charge koto dhakar baire niben",
        "100% the same",
    ),
    ("near_duplicate", "near_duplicate", WARNING, NLU_FAQ, "ফ্রি ডেলিভারি আছে ভাই?", "82% the same"),
    ("hostile_examples", "example_too_long", ERROR, NLU_GENERAL, "ধধধধধধধধধধ", "20,000 characters"),
    ("hostile_examples", "invisible_characters", ERROR, NLU_GENERAL, "\u202e", "\\u202e"),
    ("hostile_examples", "empty_example", ERROR, NLU_GENERAL, 53, "has no words"),
    ("hostile_examples", "invisible_characters", ERROR, DOMAIN, "\\x07", "utter_you_are_welcome"),
    ("annotations", "bad_annotation", ERROR, NLU_GENERAL, '{"entity": city}', "cannot be read"),
    ("annotations", "unknown_entity", ERROR, NLU_GENERAL, "[Chattogram](city)", "«city»"),
    ("responses", "missing_english", ERROR, DOMAIN, "utter_no_english:", "no English text"),
    ("responses", "missing_english", ERROR, DOMAIN, "utter_bangla_condition:", "no English"),
    ("responses", "missing_bangla", ERROR, DOMAIN, "utter_no_bangla:", "no Bangla text"),
    ("responses", "bad_condition", ERROR, DOMAIN, 33, "other than the English one"),
    ("responses", "wrong_language", ERROR, DOMAIN, "Your order is on its way.", "not in Bengali"),
    ("responses", "wrong_language", ERROR, DOMAIN, "অর্ডারটি পথে আছে।", "not in English"),
    ("responses", "wrong_language", ERROR, DOMAIN, '"Talk to a person"', "button title"),
    ("responses", "buttons_differ", ERROR, DOMAIN, 76, "(/affirm, /deny) and in English (/affirm)"),
    ("responses", "variables_differ", ERROR, DOMAIN, 86, "{shop_phone}"),
    ("responses", "unknown_variable", ERROR, DOMAIN, 93, "{delivery_charge}"),
    ("responses", "unknown_variable", ERROR, DOMAIN, 94, "{delivery_charge}"),
    ("responses", "broken_braces", ERROR, DOMAIN, 102, "do not pair up"),
    ("responses", "empty_response", ERROR, DOMAIN, 124, "has no text"),
    (
        "responses",
        "broken_braces",
        ERROR,
        DOMAIN,
        ("utter_broken_braces:", "{shop_phone}}"),
        "do not pair up",
    ),
    ("responses", "broken_braces", ERROR, DOMAIN, '/inform{"return_reason"', "single braces"),
    ("responses", "empty_response", ERROR, DOMAIN, ("utter_empty:", '- text: ""'), "has no text"),
    (
        "story_names",
        "unknown_intent",
        ERROR,
        RULES,
        "- intent: gret",
        "«gret» is not in domain.yml",
    ),
    ("story_names", "missing_response", ERROR, RULES, "utter_thanks_again", "does not have"),
    ("story_names", "unknown_action", ERROR, RULES, "action_check_order", "is not in domain.yml"),
    ("story_names", "unknown_intent", ERROR, RULES, "faq/warranty", "has no examples"),
    ("story_names", "bad_slot_value", ERROR, STORIES, "language: fr", "cannot be «fr»"),
    ("story_names", "unknown_entity", ERROR, STORIES, "city: Dhaka", "«city»"),
    ("story_names", "unknown_slot", ERROR, STORIES, "order_id", "«order_id» is not in domain.yml"),
    ("story_names", "unknown_form", ERROR, STORIES, "order_form", "«order_form» is not in"),
    ("faq_answers", "missing_response", ERROR, NLU_FAQ, "faq/contact_us", "utter_faq/contact_us"),
    ("faq_answers", "unused_answer", WARNING, DOMAIN, "utter_faq/contact:", "No examples lead"),
    ("shop_settings", "shop_settings", ERROR, "shop.yml", "charge: sottor taka", "'sottor taka'"),
    ("shop_values", "shop_value", ERROR, DOMAIN, "৭০ টাকা", "delivery.inside_dhaka.charge"),
    ("shop_values", "shop_value", ERROR, DOMAIN, "📞 09678-123456", "shop.phone"),
    ("shop_values", "typed_number", ERROR, DOMAIN, "500 tk", "matches no setting"),
]


def _expected_line(root, file, text):
    """The line a problem is at: a number, the first line holding a text, or (after, text)."""
    if text is None or isinstance(text, int):
        return text
    after = 0
    if isinstance(text, tuple):
        after, text = line_with(root / file, text[0]), text[1]
    return line_with(root / file, text, after=after)


@pytest.mark.parametrize(
    "fixture, check, severity, file, text, words",
    EXPECTED,
    ids=[f"{e[0]}-{e[1]}-{i}" for i, e in enumerate(EXPECTED)],
)
def test_each_mistake_is_caught_with_file_line_and_fix(
    checked, fixture, check, severity, file, text, words
):
    root, problems = checked(fixture)
    line = _expected_line(root, file, text)
    found = [p for p in problems if (p.check, p.file, p.line) == (check, file, line)]
    assert found, f"no {check} at {file}:{line}; got " + "; ".join(
        f"{p.check}@{p.file}:{p.line}" for p in problems
    )
    problem = found[0]
    assert problem.severity == severity
    assert words in problem.message_en
    assert BENGALI.search(problem.message_bn) and BENGALI.search(problem.fix_bn)
    assert problem.fix_en.strip() and problem.fix_en != problem.message_en


@pytest.mark.parametrize("fixture", sorted({e[0] for e in EXPECTED}))
def test_nothing_else_is_reported(checked, fixture):
    """A fixture's mistakes are reported and nothing the clean project does not have."""
    root, problems = checked(fixture)
    expected = {
        (c, f, _expected_line(root, f, where))
        for name, c, _, f, where, _ in EXPECTED
        if name == fixture
    }
    # a typed value makes the two languages' variables differ too: that follows from it
    extra = (
        {(p.check, p.file, p.line) for p in problems}
        - expected
        - {("variables_differ", DOMAIN, p.line) for p in problems if fixture == "shop_values"}
    )
    assert not extra


def test_the_clean_fixture_passes(checked):
    assert checked("clean")[1] == []


def test_the_real_project_passes_the_content_checks():
    problems = run_checks(rasa_validate=False)
    assert [p for p in problems if p.severity == ERROR] == []


def test_messages_quote_customer_text_safely(checked):
    """A hostile example is quoted shortened, with control characters visible."""
    _, problems = checked("hostile_examples")
    for p in problems:
        for text in (p.message_en, p.message_bn, p.fix_en, p.fix_bn):
            assert len(text) < 1200
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e]", text)
