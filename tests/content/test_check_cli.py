"""`python -m seba.content.check`: exit codes, JSON, Bangla output, and Rasa's own check."""

import json
import subprocess
import sys

import pytest

from seba import PROJECT_ROOT
from seba.content.check import main, run_checks
from tests.content.conftest import line_with


def test_clean_exits_0_and_broken_exits_1(project, capsys):
    assert main(["--root", str(project("clean")), "--no-rasa"]) == 0
    assert "No problems found." in capsys.readouterr().out
    assert main(["--root", str(project("story_names")), "--no-rasa"]) == 1
    out = capsys.readouterr().out
    assert (
        "data/rules.yml:12: error [unknown_intent]: The intent «gret» is not in domain.yml."
    ) in out
    assert out.rstrip().endswith("8 errors, 0 warnings.")


def test_warnings_alone_do_not_fail(project, capsys):
    root = project("faq_answers")
    (root / "data/nlu/faq.yml").write_text(
        (root / "data/nlu/faq.yml")
        .read_text(encoding="utf-8")
        .replace("faq/contact_us", "faq/contact"),
        encoding="utf-8",
    )
    (root / "domain.yml").write_text(
        (root / "domain.yml").read_text(encoding="utf-8")
        + (
            '\n  utter_faq/old_offer:\n  - text: "ঈদের অফার শেষ।"\n  - text: "The Eid '
            'offer is over."\n'
            "    condition:\n    - type: slot\n      name: language\n      value: en\n"
        ),
        encoding="utf-8",
    )
    assert main(["--root", str(root), "--no-rasa"]) == 0
    assert "0 errors, 1 warning." in capsys.readouterr().out


def test_bangla_output(project, capsys):
    assert main(["--root", str(project("few_examples")), "--no-rasa", "--lang", "bn"]) == 1
    out = capsys.readouterr().out
    assert "ত্রুটি [few_examples]" in out and "৩টি ত্রুটি, ০টি সতর্কতা।" in out


def test_json_lists_every_field(project, capsys):
    assert main(["--root", str(project("shop_values")), "--no-rasa", "--json"]) == 1
    problems = json.loads(capsys.readouterr().out)
    assert {p["check"] for p in problems} == {"shop_value", "typed_number", "variables_differ"}
    assert set(problems[0]) == {
        "check",
        "severity",
        "file",
        "line",
        "message_en",
        "message_bn",
        "fix_en",
        "fix_bn",
    }


def test_a_root_that_is_not_a_folder_is_bad_usage(tmp_path, capsys):
    assert main(["--root", str(tmp_path / "nowhere\u202e"), "--no-rasa"]) == 2
    err = capsys.readouterr().err
    assert "is not a folder" in err and "\u202e" not in err


@pytest.mark.slow
def test_rasa_finds_a_story_conflict_and_points_at_the_story(project):
    root = project("story_conflict")
    problems = run_checks(root)
    line = line_with(root / "data/stories.yml", "- story: hello answered with thanks")
    assert [(p.check, p.file, p.line) for p in problems] == [
        ("rasa_validate", "data/stories.yml", line)
    ]
    assert "Two rules or stories do different things" in problems[0].message_en
    assert "'hello answered with thanks'" in problems[0].message_en
    assert "একই ধাপের পরে" in problems[0].message_bn


@pytest.mark.slow
def test_the_real_project_passes_make_check_content():
    done = subprocess.run(
        [sys.executable, "-m", "seba.content.check"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout
    assert "No problems found." in done.stdout
