"""The agent web console (aiohttp): ``handoff.console.app.create_app``.

One module per job:

| module | what |
|---|---|
| ``app`` | builds the app: settings, middlewares, the route table (``PAGE_MODULES``) |
| ``roles`` | the roles (agent, content, owner), which role may use what, the menu |
| ``auth`` | sessions, login/logout, CSRF, ``guarded`` (login + role + CSRF check of every route) |
| ``throttle`` | failed-login throttling (database, growing delays) and device cookies |
| ``proxy`` | the client's address and HTTPS behind a trusted reverse proxy |
| ``middleware`` | security headers, 503 when a database is down |
| ``queue_pages`` | the queue page, its JSON and live stream, online/away, claim-next |
| ``ticket_pages`` | one conversation: page, JSON, claim, reply, hand back, resolve, release |
| ``lock_pages`` | orders locked after failed order checks, and lifting them |
| ``account_pages`` | the owner's list of accounts |
| ``review_pages`` | content staff: the review queue, labelling, ignoring, undoing a change |
| ``answer_pages`` | content staff: answers (edit + preview), a new FAQ, conversation paths |
| ``home_pages`` | every account's home: its role and its pages |
| ``language_pages`` | the English / বাংলা switch (cookie, local redirects only) |
| ``i18n`` | the interface language: the Bangla catalog, ``N_``, ``translate``, ``_`` |
| ``background`` | tracker sync and abandon sweep while the console runs |
| ``render``, ``helpers`` | templates and labels; app keys, clock, database calls, forms |

A new page (e.g. the content staff's review page): a module ``review_pages.py`` with
handlers and ``ROUTES = [Route("GET", "/review", review_page, CONTENT_STAFF, nav=N_("Review"))]``,
a template extending ``base.html``, and the module added to ``app.PAGE_MODULES``. The
route's roles are checked before the handler runs, and ``nav`` puts it in the menu of
exactly those roles. Its strings go through gettext (``i18n``; docs/handoff.md, "Console
language").
"""
