"""The report's date range: whole shop-local days, from the page's ``from`` / ``to`` fields.

Whatever arrives in the query string, the report gets a usable range and the page says, in
plain words, what it did with the input: garbage falls back to the default (the last 7
days), a reversed range is turned round, a range past today ends today, and a range longer
than ``MAX_DAYS`` is cut to the last ``MAX_DAYS`` days of it. Nothing is refused.
"""

import datetime as dt
from dataclasses import dataclass
from typing import List, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo

from handoff.console.i18n import N_
from seba.db import shop_timezone

DEFAULT_DAYS = 7
MAX_DAYS = 92  # about a quarter: enough for a season, bounded for the database and the page
EARLIEST = dt.date(2015, 1, 1)  # before Seba existed; keeps arithmetic far from year 1
_MAX_INPUT = 10  # "YYYY-MM-DD"


class Notice(str):
    """A notice for the page: the English text, and its msgid and values, so the page can
    show it in the console's language (``translate(request, n.msgid, **n.values)``)."""

    def __new__(cls, msgid: str, **values: object) -> "Notice":
        notice = super().__new__(cls, msgid % values if values else msgid)
        notice.msgid, notice.values = msgid, values
        return notice


@dataclass(frozen=True)
class DateRange:
    """The days ``first`` to ``last``, both included, in the shop's timezone."""

    first: dt.date
    last: dt.date

    @property
    def days(self) -> List[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def since(self, tz: Optional[ZoneInfo] = None) -> dt.datetime:
        """The first day's midnight, shop-local (timezone-aware)."""
        return dt.datetime.combine(self.first, dt.time(), tzinfo=tz or shop_timezone())

    def until(self, tz: Optional[ZoneInfo] = None) -> dt.datetime:
        """Midnight after the last day (excluded), shop-local (timezone-aware)."""
        return dt.datetime.combine(
            self.last + dt.timedelta(days=1), dt.time(), tzinfo=tz or shop_timezone()
        )

    def query(self) -> str:
        return f"from={self.first.isoformat()}&to={self.last.isoformat()}"

    def label(self) -> str:
        if self.first == self.last:
            return self.first.strftime("%d %b %Y")
        return f"{self.first.strftime('%d %b %Y')} – {self.last.strftime('%d %b %Y')}"


def default_range(today: dt.date, days: int = DEFAULT_DAYS) -> DateRange:
    return DateRange(today - dt.timedelta(days=days - 1), today)


def _parse(raw: Optional[str]) -> Tuple[Optional[dt.date], Optional[str]]:
    """(date, None), (None, None) for nothing, or (None, a notice) for garbage."""
    text = (raw or "").strip()
    if not text:
        return None, None
    if len(text) > _MAX_INPUT:
        return None, Notice(N_("That is not a date (write it as YYYY-MM-DD, e.g. 2025-01-31)."))
    try:
        return dt.date.fromisoformat(text), None
    except ValueError:
        return None, Notice(
            N_("“%(text)s” is not a date (write it as YYYY-MM-DD, e.g. 2025-01-31)."), text=text
        )


def parse_range(query: Mapping[str, str], today: dt.date) -> Tuple[DateRange, List[str]]:
    """The range asked for in ``query`` (``from``, ``to``), and notices for the page."""
    default = default_range(today)
    notices: List[str] = []
    first, problem_first = _parse(query.get("from"))
    last, problem_last = _parse(query.get("to"))
    for problem in (problem_first, problem_last):
        if problem and problem not in notices:
            notices.append(problem)
    if problem_first or problem_last:
        notices.append(Notice(N_("Showing the last 7 days instead.")))
        return default, notices
    if first is None and last is None:
        return default, notices
    if last is None:
        last = min(first + dt.timedelta(days=DEFAULT_DAYS - 1), today)
    if first is None:
        first = last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        first, last = last, first
        notices.append(Notice(N_("The start was after the end, so the dates were swapped.")))
    if last > today:
        last = today
        notices.append(Notice(N_("The report cannot look past today, so it ends today.")))
        first = min(first, last)
    if first < EARLIEST:
        first = EARLIEST
        notices.append(
            Notice(
                N_("The report starts no earlier than %(earliest)s."), earliest=EARLIEST.isoformat()
            )
        )
        last = max(last, first)
    if (last - first).days + 1 > MAX_DAYS:
        first = last - dt.timedelta(days=MAX_DAYS - 1)
        notices.append(
            Notice(
                N_(
                    "A report covers at most %(days)s days: showing the last "
                    "%(days)s days of the range asked for, %(first)s to %(last)s."
                ),
                days=MAX_DAYS,
                first=first.isoformat(),
                last=last.isoformat(),
            )
        )
    return DateRange(first, last), notices
