"""The owner's report page over real HTTP (the console app in this process, its clock at
Wednesday 8 January 2025): who may see it, what it shows for the scripted conversations
(tests/handoff/test_report_figures.py), the date range, and the CSV files.

The attempts come first: an agent and a content account are refused the page, every CSV
file and the figures; path tricks in the table name find nothing; customers' words that
a spreadsheet would run as a formula are written as text.
"""

import csv
import datetime as dt
import io
import json
import re

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from handoff import agents
from handoff.console import report_pages
from handoff.report.dates import DateRange
from handoff.report.figures import Column, Table
from tests.handoff.helpers import PASSWORD
from tests.handoff.test_console_i18n import _catalog, _in, _texts
from tests.handoff.test_report_figures import EXPECTED, scripted

WEDNESDAY = dt.datetime(2025, 1, 8, 16, 0)  # the scripted days are Mon 6 – Wed 8
RANGE = "from=2025-01-06&to=2025-01-08"
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def tracker(tmp_path, handoff_url, monkeypatch):
    """Rasa's SQLTrackerStore with the scripted conversations; the console reads it."""
    path = tmp_path / "tracker.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    scripted().save(store, handoff_url)
    store.engine.dispose()
    monkeypatch.setenv("SEBA_TRACKER_URL", f"sqlite:///{path}")
    return path


@pytest.fixture
def report_console(make_console, clock, handoff_url, two_agents, tracker):
    agents.create_agent("mita", "মিতা", PASSWORD, role="content", url=handoff_url)
    agents.create_agent("boss", "Shop owner", PASSWORD, role="owner", url=handoff_url)
    clock.moment = WEDNESDAY
    return make_console()


def csv_rows(response):
    assert response.content.startswith(BOM)  # Excel reads UTF-8 (Bangla) only with the BOM
    return list(csv.reader(io.StringIO(response.content[len(BOM) :].decode("utf-8"))))


def test_agents_and_content_staff_are_refused_the_report_and_its_files(report_console):
    for username, role in (("rina", "agent"), ("mita", "content")):
        client = report_console.login(username)
        for path in (
            "/report",
            f"/report?{RANGE}",
            f"/report/csv/misses?{RANGE}",
            "/report/csv/days",
        ):
            answer = client.get(path)
            assert answer.status_code == 403, (username, path)
            assert f"role is {role}" in answer.text
            assert "HYPERLINK" not in answer.text and "Conversations per day" not in answer.text
            assert "text/csv" not in answer.headers.get("Content-Type", "")
        assert 'href="/report"' not in client.get("/home").text  # not in their menu
    stranger = report_console.client()  # not logged in at all
    answer = stranger.get(f"/report/csv/misses?{RANGE}")
    assert answer.status_code in (302, 303, 401) and "HYPERLINK" not in answer.text


def test_the_owner_sees_the_scripted_figures_for_the_chosen_days(report_console):
    boss = report_console.login("boss")
    assert 'href="/report"' in boss.get("/").text  # the owner's menu has it
    page = boss.get(f"/report?{RANGE}")
    assert page.status_code == 200
    html = page.text
    assert "06 Jan 2025 – 08 Jan 2025" in html
    for stat, shown in (
        ("conversations", "18"),
        ("solved", "44.4%"),
        ("handed_over", "44.4%"),
        ("left", "11.1%"),
        ("median_wait", "5.5 min"),
        ("rating_people", "4.0"),
        ("rating_bot", "4.5"),
    ):
        assert f'data-stat="{stat}">{shown}</span>' in html, stat
    for title in (
        "Conversations per day",
        "Conversations per channel",
        "Why conversations",
        "Waiting and handling times",
        "Ratings (1–5)",
        "Most common questions",
        "Most common misses",
    ):
        assert title in html, title
    # Customers' words are escaped and their phones masked; charts get JSON, not script.
    assert "<script>alert(1)" not in html and "01711000001" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; call 017•••••001" in html
    assert '<script type="application/json" id="report-data">' in html
    assert "Order locked after failed checks" in html and "বাংলা" in html


def test_the_date_range_moves_and_bad_dates_get_a_polite_notice(report_console):
    boss = report_console.login("boss")
    monday = boss.get("/report?from=2025-01-06&to=2025-01-06").text
    assert 'data-stat="conversations">6</span>' in monday and "06 Jan 2025" in monday
    # No range: the last 7 days up to the clock's today (2 – 8 January), which hold
    # also tg:105, begun at 23:59 on Sunday 5.
    default = boss.get("/report").text
    assert "02 Jan 2025 – 08 Jan 2025" in default
    assert 'data-stat="conversations">19</span>' in default
    for query in (
        "from=yesterday&to=%3Cscript%3E",
        "from=2025-01-08&to=2025-01-06",
        "from=" + "9" * 5000,
        "from=2025-02-30&to=2025-01-08",
    ):
        page = boss.get(f"/report?{query}")
        assert page.status_code == 200, query
        assert "data-notice" in page.text, query
        assert "<script>" not in page.text.split('id="report-data">')[0], query
    reversed_ = boss.get("/report?from=2025-01-08&to=2025-01-06").text
    assert 'data-stat="conversations">18</span>' in reversed_


def test_the_csv_files_open_in_excel_with_bangla_and_no_formulas(report_console):
    boss = report_console.login("boss")
    misses = boss.get(f"/report/csv/misses?{RANGE}")
    assert misses.status_code == 200
    assert misses.headers["Content-Type"].startswith("text/csv")
    assert misses.headers["Content-Disposition"] == (
        'attachment; filename="seba-report-misses-2025-01-06-2025-01-08.csv"'
    )
    rows = csv_rows(misses)
    assert rows[0] == [
        "What the customer wrote (phones masked)",
        "Times",
        "Conversations",
        "Kind",
        "Bot's best guess",
    ]
    texts = [row[0] for row in rows[1:]]
    # The stranger's formula and the @-mention are text for a spreadsheet, not formulas.
    assert '\'=HYPERLINK("http://evil.example")<script>alert(1)</script> call 017•••••001' in texts
    assert "'@support where are you" in texts
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert "01711000001" not in misses.content.decode("utf-8")

    languages = csv_rows(boss.get(f"/report/csv/languages?{RANGE}"))
    assert languages == [
        ["Language", "Conversations", "Share (%)"],
        ["বাংলা", "10", "55.6"],
        ["English", "8", "44.4"],
    ]
    days = csv_rows(boss.get(f"/report/csv/days?{RANGE}"))
    assert [[row[0]] + [int(n) for n in row[1:]] for row in days[1:]] == EXPECTED["days"]


def test_table_names_are_looked_up_never_used_as_paths(report_console):
    boss = report_console.login("boss")
    for name in (
        "nothing",
        "..%2F..%2Fvar%2Fsecrets.env",
        "%2E%2E",
        "days.csv",
        "Days",
        "__class__",
    ):
        answer = boss.get(f"/report/csv/{name}?{RANGE}")
        assert answer.status_code == 404, name
        assert "There is no such table" in answer.text or answer.status_code == 404
        assert "HANDOFF_SECRET" not in answer.text
    for path in (
        "/report/csv/../../var/secrets.env",
        "/static/vendor/../../../var/secrets.env",
        "/static/vendor/chart.umd.js/../../report_pages.py",
    ):
        answer = boss.get(path)
        assert answer.status_code in (403, 404), path
        assert "SECRET" not in answer.text and "import" not in answer.text[:200], path


def test_the_chart_library_is_served_from_the_project(report_console, tmp_path, monkeypatch):
    boss = report_console.login("boss")
    library = tmp_path / "node_modules" / "chart.js" / "dist" / "chart.umd.js"
    monkeypatch.setenv(report_pages.NODE_MODULES_ENV, str(tmp_path / "node_modules"))
    missing = boss.get(f"/report?{RANGE}").text
    assert "data-no-charts" in missing and "/static/vendor/chart.umd.js" not in missing
    assert 'data-stat="conversations">18</span>' in missing  # the tables are all there
    assert boss.get("/static/vendor/chart.umd.js").status_code == 404

    library.parent.mkdir(parents=True)
    library.write_text("/*! Chart.js v4.6.1 */ window.Chart = function () {};\n")
    page = boss.get(f"/report?{RANGE}").text
    assert '<script src="/static/vendor/chart.umd.js?v=4.6.1" defer></script>' in page
    served = boss.get("/static/vendor/chart.umd.js")
    assert served.status_code == 200 and served.text.startswith("/*! Chart.js v4.6.1")
    assert "javascript" in served.headers["Content-Type"]
    assert "cdn" not in page.lower().replace("data-no-charts", "")


def test_an_unreadable_tracker_store_is_said_plainly(report_console, monkeypatch, tmp_path):
    monkeypatch.setenv("SEBA_TRACKER_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    boss = report_console.login("boss")
    page = boss.get(f"/report?{RANGE}")
    assert page.status_code == 503
    assert "cannot be read right now" in page.text and "Traceback" not in page.text
    assert boss.get(f"/report/csv/days?{RANGE}").status_code == 503


def test_the_engine_reads_the_same_store_rasa_writes(tracker):
    # The fixture's store is what the console reads: events are there, nothing copied.
    engine = sa.create_engine(f"sqlite:///{tracker}")
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from events")).scalar() > 50
    assert sa.inspect(engine).get_table_names() == ["events"]


def test_every_formula_start_is_neutralised_and_numbers_stay_numbers():
    from handoff.report.csv_export import table_csv
    from handoff.report.figures import Column, Table

    attempts = [
        "=1+1",
        "+8801711000001",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=cmd|' /C calc'!A0",
        "\r=1",
        '=HYPERLINK("http://x","ok")',
    ]
    table = Table(
        "misses",
        "Misses",
        [Column("text", "=Text", "text"), Column("n", "Times")],
        [[text, n] for n, text in enumerate(attempts)] + [["নিরাপদ", -3], [None, 2.5]],
    )
    body = table_csv(table)
    assert body.startswith(BOM)
    rows = list(csv.reader(io.StringIO(body[len(BOM) :].decode("utf-8"), newline="")))
    assert rows[0] == ["'=Text", "Times"]
    assert [row[0] for row in rows[1 : len(attempts) + 1]] == ["'" + a for a in attempts]
    assert rows[-2:] == [["নিরাপদ", "-3"], ["", "2.5"]]  # numbers (even negative) are numbers


# --- the report in Bangla --------------------------------------------------------------------


def _chart_labels(charts) -> set:
    labels = set()
    for part in charts.values():
        labels.update(part["labels"])
        labels.update(line["label"] for line in part.get("series", []))
    return labels


def test_the_report_in_bangla_shows_no_english_of_its_translated_strings(report_console):
    msgids = {m.id for m in _catalog() if isinstance(m.id, str) and m.id}
    english = report_console.login("boss")
    bangla = _in(report_console.login("boss"), "bn")
    en_page, bn_page = english.get(f"/report?{RANGE}"), bangla.get(f"/report?{RANGE}")
    assert en_page.status_code == bn_page.status_code == 200
    shown_in_english = _texts(en_page.text) & msgids
    assert len(shown_in_english) > 80  # titles, columns, row labels, the definitions
    left = _texts(bn_page.text) & shown_in_english
    assert not left, f"/report still in English: {left}"
    html = bn_page.text
    assert '<html lang="bn">' in html and "06 জানু 2025 – 08 জানু 2025" in html
    for bangla_text in (
        "রিপোর্ট",
        "দিনপ্রতি চ্যাট",
        "বট নিজেই সমাধান করেছে",
        "সোম 06 জানু",
        "সাধারণ প্রশ্ন: delivery charge",
        "বট বোঝেনি",
        "গত ৭ দিন",
    ):
        assert bangla_text in html, bangla_text
    assert 'data-stat="median_wait">5.5 মিনিট</span>' in html
    # The charts' labels come translated in the JSON block (report.js has no strings).
    en_charts = json.loads(re.search(r'id="report-data">(.*?)</script>', en_page.text).group(1))
    bn_charts = json.loads(re.search(r'id="report-data">(.*?)</script>', html).group(1))
    assert bn_charts["outcomes"]["labels"] == [
        "বট নিজেই সমাধান করেছে",
        "এজেন্টের কাছে পাঠানো",
        "সাহায্য না পেয়ে চলে গেছেন",
    ]
    outcomes = bn_charts["outcomes"]["labels"]
    assert [line["label"] for line in bn_charts["days"]["series"]] == outcomes
    assert not _chart_labels(bn_charts) & _chart_labels(en_charts) & msgids
    assert bn_charts["days"]["series"][0]["values"] == en_charts["days"]["series"][0]["values"]
    # Customers' words are shown as they wrote them: escaped, phones masked, not translated.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; call 017•••••001" in html
    assert "<script>alert(1)" not in html and "01711000001" not in html


def test_a_customer_text_that_reads_like_a_label_is_not_translated():
    misses = Table(
        "misses",
        "Most common misses",
        [
            Column("text", "What the customer wrote (phones masked)", "text"),
            Column("times", "Times"),
            Column("kind", "Kind", "text"),
            Column("guess", "Bot's best guess", "text"),
        ],
        [["Complaint", 2, "Not understood", "complaint"], ["Report", 1, "Out of scope", ""]],
    )
    shown = report_pages.localized_table(misses, "bn")
    assert shown.rows == [
        ["Complaint", 2, "বট বোঝেনি", "complaint"],
        ["Report", 1, "বটের কাজের বাইরে", ""],
    ]
    assert [c.label for c in shown.columns] == [
        "কাস্টমার যা লিখেছেন (ফোন নম্বর ঢাকা)",
        "কতবার",
        "ধরন",
        "বটের সবচেয়ে কাছের অনুমান",
    ]
    assert misses.rows[0][2] == "Not understood"  # a copy: the CSV's table is unchanged


def test_notices_and_errors_of_the_report_come_in_bangla(report_console, monkeypatch):
    bangla = _in(report_console.login("boss"), "bn")
    page = bangla.get("/report?from=%3Cscript%3E&to=2025-01-08").text
    assert "“&lt;script&gt;” তারিখ নয় (YYYY-MM-DD আকারে লিখুন, যেমন 2025-01-31)।" in page
    assert "তার বদলে গত ৭ দিন দেখানো হচ্ছে।" in page and "<script>alert" not in page
    swapped = bangla.get("/report?from=2025-01-08&to=2025-01-06").text
    assert "তারিখ দুটো অদলবদল করা হয়েছে" in swapped
    long = bangla.get("/report?from=2024-01-01&to=2025-01-08").text
    assert "সর্বোচ্চ 92 দিন থাকে: চাওয়া সময়ের শেষ 92 দিন, 2024-10-09 থেকে 2025-01-08" in long
    missing = bangla.get(f"/report/csv/nothing?{RANGE}")
    assert missing.status_code == 404 and "রিপোর্টে এমন কোনো টেবিল নেই" in missing.text
    # The CSV files stay in English, whatever the console's language (docs/handoff.md).
    english = report_console.login("boss")
    assert (
        bangla.get(f"/report/csv/misses?{RANGE}").content
        == english.get(f"/report/csv/misses?{RANGE}").content
    )
    monkeypatch.setenv("SEBA_TRACKER_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    down = bangla.get(f"/report?{RANGE}")
    assert down.status_code == 503 and "চ্যাটের রেকর্ড (Rasa-র tracker store) এখন" in down.text


@pytest.mark.parametrize(
    "minutes, english, bangla",
    [
        (0.5, "30 s", "30 সে."),
        (5.5, "5.5 min", "5.5 মিনিট"),
        (42, "42 min", "42 মিনিট"),
        (125, "2 h 05 min", "2 ঘণ্টা 05 মিনিট"),
        (1500, "1 d 1 h", "1 দিন 1 ঘণ্টা"),
    ],
)
def test_durations_read_in_either_language(minutes, english, bangla):
    assert report_pages.duration(minutes) == english
    assert report_pages.duration(minutes, "bn") == bangla


def test_days_and_ranges_read_in_either_language():
    assert report_pages.format_cell("2025-01-08", "date") == "Wed 08 Jan"
    assert report_pages.format_cell("2025-01-08", "date", "bn") == "বুধ 08 জানু"
    one, three = (
        DateRange(dt.date(2025, 1, 6), dt.date(2025, 1, 6)),
        DateRange(dt.date(2024, 12, 30), dt.date(2025, 1, 1)),
    )
    assert report_pages.range_label(one) == one.label() == "06 Jan 2025"
    assert report_pages.range_label(three) == three.label() == "30 Dec 2024 – 01 Jan 2025"
    assert report_pages.range_label(three, "bn") == "30 ডিসে 2024 – 01 জানু 2025"
