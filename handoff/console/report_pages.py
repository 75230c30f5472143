"""The owner's report (``/report``): how the shop's chats went over a range of days, with
charts, tables and a CSV file of every table (``/report/csv/<table>``).

The figures are computed by ``handoff.report`` from Rasa's tracker store (found like
``seba.tracker_db.tracker_engine``: ``SEBA_TRACKER_URL``, else the endpoints file Rasa runs
with) and the handoff tables. The charts are drawn by Chart.js, installed from npm with the
chat widget (``web/package.json``) and served here under ``/static/vendor/`` — nothing comes
from a CDN; the page's own script is ``static/report.js`` (no inline script: CSP).
"""

import dataclasses
import datetime as dt
import logging
import os
from pathlib import Path

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from handoff.console.helpers import DB_URL, in_thread, now
from handoff.console.i18n import N_, gettext_for, language_of, translate
from handoff.console.render import MONTHS, render
from handoff.console.roles import OWNER_ONLY, PUBLIC, Route
from handoff.report import SessionCache, build_report
from handoff.report.csv_export import table_csv
from handoff.report.dates import MAX_DAYS, DateRange, Notice, parse_range
from handoff.report.figures import CSV_ROWS, Report, Table, charts
from seba import PROJECT_ROOT, tracker_db

logger = logging.getLogger(__name__)

#: Where npm installed web/package.json (``make web``); SEBA_NODE_MODULES may name another
#: install of the same lock file (a checkout whose web/node_modules is shared or read-only).
NODE_MODULES_ENV = "SEBA_NODE_MODULES"
CHART_JS_IN_MODULES = Path("chart.js") / "dist" / "chart.umd.js"
CHART_JS_PATH = "/static/vendor/chart.umd.js"
CACHE = SessionCache()
TRACKER_DOWN = N_(
    "The conversation store (Rasa's tracker store) cannot be read right now, so "
    "there is no report. Is the database running? Details are in the console's log."
)
PRESETS = (
    (N_("Today"), 1),
    (N_("Last 7 days"), 7),
    (N_("Last 30 days"), 30),
    (N_("Last 90 days"), 90),
)
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
#: Columns whose cells are the report's own labels (marked with N_ in handoff.report), shown
#: in the console's language; the other text columns hold customers' words, intents and FAQ
#: keys, shown as they are. The CSV files stay in English (column names for spreadsheets).
LABEL_COLUMNS = frozenset(
    {"channels", "languages", "outcomes", "reasons", "measure", "ending", "who", "question", "kind"}
)
FAQ_PREFIX = "FAQ: "  # figures.question_label


def chart_js_file() -> Path:
    modules = os.environ.get(NODE_MODULES_ENV) or PROJECT_ROOT / "web" / "node_modules"
    return Path(modules) / CHART_JS_IN_MODULES


def format_cell(value, kind: str, language: str = "en") -> str:
    """A table cell as the page shows it (the CSV keeps the plain numbers)."""
    if value is None or value == "":
        return "—"
    if kind == "share":
        return f"{value:.1f}%"
    if kind == "rating":
        return f"{value:.1f}"
    if kind == "count":
        return f"{value:,}"
    if kind == "date":
        day = dt.date.fromisoformat(value)
        return (
            f"{gettext_for(language, WEEKDAYS[day.weekday()])} {day.day:02d} "
            f"{gettext_for(language, MONTHS[day.month - 1])}"
        )
    if kind == "minutes":
        return duration(value, language)
    return str(value)


def duration(minutes: float, language: str = "en") -> str:
    if minutes < 1:
        return gettext_for(language, "%(seconds)s s", seconds=f"{minutes * 60:.0f}")
    if minutes < 60:
        shown = f"{minutes:.1f}" if minutes < 10 else f"{minutes:.0f}"
        return gettext_for(language, "%(minutes)s min", minutes=shown)
    hours, rest = divmod(round(minutes), 60)
    if hours < 24:
        return gettext_for(
            language, "%(hours)s h %(minutes)s min", hours=hours, minutes=f"{rest:02d}"
        )
    days, hours = divmod(hours, 24)
    return gettext_for(language, N_("%(days)s d %(hours)s h"), days=days, hours=hours)


def range_label(date_range: DateRange, language: str = "en") -> str:
    def day(date: dt.date) -> str:
        return f"{date.day:02d} {gettext_for(language, MONTHS[date.month - 1])} {date.year}"

    if date_range.first == date_range.last:
        return day(date_range.first)
    return f"{day(date_range.first)} – {day(date_range.last)}"


def notice_in(language: str, notice: str) -> str:
    if isinstance(notice, Notice):
        return gettext_for(language, notice.msgid, **notice.values)
    return notice


def label_in(language: str, label) -> str:
    if not isinstance(label, str) or not label:
        return label
    if label.startswith(FAQ_PREFIX):
        return gettext_for(language, N_("FAQ: %(key)s"), key=label[len(FAQ_PREFIX) :])
    return gettext_for(language, label)


def localized_table(table: Table, language: str) -> Table:
    labels = [i for i, c in enumerate(table.columns) if c.key in LABEL_COLUMNS]
    rows = [
        [label_in(language, v) if i in labels else v for i, v in enumerate(row)]
        for row in table.rows
    ]
    columns = [dataclasses.replace(c, label=gettext_for(language, c.label)) for c in table.columns]
    return dataclasses.replace(
        table,
        title=gettext_for(language, table.title),
        columns=columns,
        rows=rows,
        note=gettext_for(language, table.note) if table.note else "",
    )


def localized(report: Report, language: str) -> Report:
    """A copy of ``report`` with its titles, labels, notes and chart labels in ``language``."""
    if language == "en":
        return report
    tables = {key: localized_table(table, language) for key, table in report.tables.items()}
    drawn = charts(tables)
    for line in drawn["days"]["series"]:  # figures.OUTCOME_LABELS
        line["label"] = gettext_for(language, line["label"])
    return dataclasses.replace(
        report, tables=tables, charts=drawn, notes=[notice_in(language, n) for n in report.notes]
    )


def _build(date_range, handoff_url):
    return build_report(date_range, tracker_db.tracker_engine(), handoff_url, cache=CACHE)


async def _report(request: web.Request):
    """(report or None, date range, notices, error)."""
    date_range, notices = parse_range(request.query, now(request).date())
    try:
        report = await in_thread(_build, date_range, request.app[DB_URL])
    except (tracker_db.TrackerStoreUnsupported, SQLAlchemyError, OSError) as exc:
        logger.error("report %s: the tracker store cannot be read: %s", date_range.query(), exc)
        return None, date_range, notices, translate(request, TRACKER_DOWN)
    logger.info("report %s computed in %.2f s", date_range.query(), report.seconds)
    return report, date_range, notices, None


async def report_page(request: web.Request) -> web.StreamResponse:
    report, date_range, notices, error = await _report(request)
    language = language_of(request)
    today = now(request).date()
    presets = [
        (
            translate(request, label),
            f"from={(today - dt.timedelta(days=days - 1)).isoformat()}&to={today.isoformat()}",
        )
        for label, days in PRESETS
    ]
    return render(
        request,
        "report.html",
        status=503 if error else 200,
        report=report and localized(report, language),
        range=date_range,
        range_label=range_label(date_range, language),
        notices=[notice_in(language, n) for n in notices],
        error=error,
        fmt=lambda value, kind: format_cell(value, kind, language),
        presets=presets,
        today=today.isoformat(),
        max_days=MAX_DAYS,
        csv_rows=CSV_ROWS,
        chart_js=CHART_JS_PATH if chart_js_file().is_file() else None,
    )


async def report_csv(request: web.Request) -> web.StreamResponse:
    key = request.match_info["table"]
    report, date_range, _notices, error = await _report(request)
    if error:
        raise web.HTTPServiceUnavailable(text=error)
    table = report.tables.get(key)
    if table is None:
        raise web.HTTPNotFound(
            text=translate(
                request,
                N_("There is no such table in the report. Tables: %(tables)s."),
                tables=", ".join(report.tables),
            )
        )
    name = f"seba-report-{key}-{date_range.first.isoformat()}-{date_range.last.isoformat()}.csv"
    return web.Response(
        body=table_csv(table),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def chart_library(request: web.Request) -> web.StreamResponse:
    """Chart.js from web/node_modules (``npm ci --prefix web``; ``make setup`` runs it)."""
    library = chart_js_file()
    if not library.is_file():
        raise web.HTTPNotFound(
            text=translate(
                request,
                N_("The chart library is not installed: run `make setup` (npm ci --prefix web)."),
            )
        )
    return web.FileResponse(library, headers={"Cache-Control": "public, max-age=86400"})


ROUTES = [
    Route("GET", "/report", report_page, OWNER_ONLY, nav=N_("Report")),
    Route("GET", "/report/csv/{table}", report_csv, OWNER_ONLY),
    # Under /static/ like the console's own files: cached, and public like them (the session
    # middleware does not load a login for /static/; the file is an open-source library).
    Route("GET", CHART_JS_PATH, chart_library, PUBLIC),
]
