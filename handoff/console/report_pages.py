"""The owner's report (``/report``): how the shop's chats went over a range of days, with
charts, tables and a CSV file of every table (``/report/csv/<table>``).

The figures are computed by ``handoff.report`` from Rasa's tracker store (found like
``seba.tracker_db.tracker_engine``: ``SEBA_TRACKER_URL``, else the endpoints file Rasa runs
with) and the handoff tables. The charts are drawn by Chart.js, installed from npm with the
chat widget (``web/package.json``) and served here under ``/static/vendor/`` — nothing comes
from a CDN; the page's own script is ``static/report.js`` (no inline script: CSP).
"""

import datetime as dt
import logging
import os
from pathlib import Path

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from handoff.console.helpers import DB_URL, in_thread, now
from handoff.console.render import render
from handoff.console.roles import OWNER_ONLY, PUBLIC, Route
from handoff.report import SessionCache, build_report
from handoff.report.csv_export import table_csv
from handoff.report.dates import MAX_DAYS, parse_range
from handoff.report.figures import CSV_ROWS
from seba import PROJECT_ROOT, tracker_db

logger = logging.getLogger(__name__)

#: Where npm installed web/package.json (``make web``); SEBA_NODE_MODULES may name another
#: install of the same lock file (a checkout whose web/node_modules is shared or read-only).
NODE_MODULES_ENV = "SEBA_NODE_MODULES"
CHART_JS_IN_MODULES = Path("chart.js") / "dist" / "chart.umd.js"
CHART_JS_PATH = "/static/vendor/chart.umd.js"
CACHE = SessionCache()
TRACKER_DOWN = ("The conversation store (Rasa's tracker store) cannot be read right now, so "
                "there is no report. Is the database running? Details are in the console's log.")


def chart_js_file() -> Path:
    modules = os.environ.get(NODE_MODULES_ENV) or PROJECT_ROOT / "web" / "node_modules"
    return Path(modules) / CHART_JS_IN_MODULES


def format_cell(value, kind: str) -> str:
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
        return dt.date.fromisoformat(value).strftime("%a %d %b")
    if kind == "minutes":
        return duration(value)
    return str(value)


def duration(minutes: float) -> str:
    if minutes < 1:
        return f"{minutes * 60:.0f} s"
    if minutes < 60:
        return f"{minutes:.1f} min" if minutes < 10 else f"{minutes:.0f} min"
    hours, rest = divmod(round(minutes), 60)
    if hours < 24:
        return f"{hours} h {rest:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _build(date_range, handoff_url):
    return build_report(date_range, tracker_db.tracker_engine(), handoff_url, cache=CACHE)


async def _report(request: web.Request):
    """(report or None, date range, notices, error)."""
    date_range, notices = parse_range(request.query, now(request).date())
    try:
        report = await in_thread(_build, date_range, request.app[DB_URL])
    except (tracker_db.TrackerStoreUnsupported, SQLAlchemyError, OSError) as exc:
        logger.error("report %s: the tracker store cannot be read: %s", date_range.query(), exc)
        return None, date_range, notices, TRACKER_DOWN
    logger.info("report %s computed in %.2f s", date_range.query(), report.seconds)
    return report, date_range, notices, None


async def report_page(request: web.Request) -> web.StreamResponse:
    report, date_range, notices, error = await _report(request)
    today = now(request).date()
    presets = [(label, f"from={(today - dt.timedelta(days=days - 1)).isoformat()}"
                       f"&to={today.isoformat()}") for label, days in
               (("Today", 1), ("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90))]
    return render(request, "report.html", status=503 if error else 200, report=report,
                  range=date_range, notices=notices, error=error, fmt=format_cell,
                  presets=presets, today=today.isoformat(), max_days=MAX_DAYS,
                  csv_rows=CSV_ROWS, chart_js=CHART_JS_PATH if chart_js_file().is_file() else None)


async def report_csv(request: web.Request) -> web.StreamResponse:
    key = request.match_info["table"]
    report, date_range, _notices, error = await _report(request)
    if error:
        raise web.HTTPServiceUnavailable(text=error)
    table = report.tables.get(key)
    if table is None:
        raise web.HTTPNotFound(text="There is no such table in the report. Tables: "
                               + ", ".join(report.tables) + ".")
    name = f"seba-report-{key}-{date_range.first.isoformat()}-{date_range.last.isoformat()}.csv"
    return web.Response(body=table_csv(table), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def chart_library(request: web.Request) -> web.StreamResponse:
    """Chart.js from web/node_modules (``npm ci --prefix web``; ``make setup`` runs it)."""
    library = chart_js_file()
    if not library.is_file():
        raise web.HTTPNotFound(text="The chart library is not installed: run `make setup` "
                               "(npm ci --prefix web).")
    return web.FileResponse(library, headers={"Cache-Control": "public, max-age=86400"})


ROUTES = [
    Route("GET", "/report", report_page, OWNER_ONLY, nav="Report"),
    Route("GET", "/report/csv/{table}", report_csv, OWNER_ONLY),
    # Under /static/ like the console's own files: cached, and public like them (the session
    # middleware does not load a login for /static/; the file is an open-source library).
    Route("GET", CHART_JS_PATH, chart_library, PUBLIC),
]
