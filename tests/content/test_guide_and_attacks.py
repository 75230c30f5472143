"""The content guide's examples pass the checks, both guides show the same YAML, and
files that try to reach outside the project are refused."""

import re

from seba import PROJECT_ROOT
from seba.content.check import run_checks
from seba.content.problems import ERROR

GUIDES = [PROJECT_ROOT / "docs/content-guide.en.md", PROJECT_ROOT / "docs/content-guide.bn.md"]


def yaml_blocks(path):
    text = path.read_text(encoding="utf-8")
    return [
        re.sub(r"(?m)^ {3}", "", block)
        for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    ]


def test_both_guides_show_the_same_yaml():
    english, bangla = (yaml_blocks(path) for path in GUIDES)
    assert len(english) == 4 and english == bangla


def test_the_guides_faq_passes_every_check_but_the_example_count(project):
    """Staff copy the guide: its FAQ's examples and answer are right, only more examples
    are needed (the guide says how many)."""
    root = project("clean")
    _, faq_examples, faq_answer, _ = yaml_blocks(GUIDES[0])
    with open(root / "data/nlu/faq.yml", "a", encoding="utf-8") as nlu:
        nlu.write("\n" + faq_examples)
    with open(root / "domain.yml", "a", encoding="utf-8") as domain:
        domain.write("\n" + faq_answer)
    problems = run_checks(root, rasa_validate=False)
    assert problems and {(p.check, p.file) for p in problems} == {
        ("few_examples", "data/nlu/faq.yml")
    }
    assert all("faq/exchange_size" in p.message_en for p in problems)


def test_a_link_to_a_file_outside_the_project_is_not_read(project, tmp_path):
    """A stranger's trick: data/nlu/x.yml links to a secret elsewhere on the server."""
    secret = tmp_path / "secrets.env"
    secret.write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - TOKEN_s3cr3t_value\n',
        encoding="utf-8",
    )
    root = project("clean")
    (root / "data/nlu/x.yml").symlink_to(secret)
    problems = run_checks(root, rasa_validate=False)
    assert [(p.check, p.file, p.severity) for p in problems] == [
        ("outside_project", "data/nlu/x.yml", ERROR)
    ]
    assert not any(
        "s3cr3t" in text
        for p in problems
        for text in (p.message_en, p.message_bn, p.fix_en, p.fix_bn)
    )


def test_a_link_inside_the_project_is_read(project):
    root = project("clean")
    (root / "shared").mkdir()
    (root / "shared/extra.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: thank\n  examples: |\n    - হ্যালো\n', encoding="utf-8"
    )
    (root / "data/nlu/more.yml").symlink_to(root / "shared/extra.yml")
    problems = run_checks(root, rasa_validate=False)
    assert [(p.check, p.file, p.line) for p in problems] == [
        ("duplicate_example", "data/nlu/more.yml", 5)
    ]


def test_yaml_tags_are_not_run(project, tmp_path):
    """A Python tag in YAML is a syntax problem, never executed."""
    marker = tmp_path / "ran"
    root = project("clean")
    (root / "data/nlu/evil.yml").write_text(
        f"version: \"3.1\"\nnlu: !!python/object/apply:os.system ['touch {marker}']\n",
        encoding="utf-8",
    )
    problems = run_checks(root, rasa_validate=False)
    assert not marker.exists()
    assert [(p.check, p.file, p.line) for p in problems] == [
        ("yaml_syntax", "data/nlu/evil.yml", 2)
    ]
    assert "!!python/object/apply:os.system" in problems[0].message_en


def test_a_file_saved_with_windows_line_endings_reads_the_same(project):
    root = project("few_examples")
    general = root / "data/nlu/general.yml"
    general.write_bytes(general.read_bytes().replace(b"\n", b"\r\n"))
    assert [(p.check, p.file, p.line) for p in run_checks(root, rasa_validate=False)] == [
        ("few_examples", "data/nlu/general.yml", 5),
        ("few_examples", "data/nlu/general.yml", 42),
        ("few_examples", "domain.yml", 8),
    ]


def test_the_guides_sample_lines_are_what_the_check_prints(project, capsys):
    from seba.content.check import main

    root = project("story_names")
    for guide, lang in zip(GUIDES, ("en", "bn"), strict=True):
        sample = re.search(r"```text\n(.*?)\n```", guide.read_text(encoding="utf-8")).group(1)
        main(["--root", str(root), "--no-rasa", "--lang", lang])
        assert sample in capsys.readouterr().out.splitlines()
