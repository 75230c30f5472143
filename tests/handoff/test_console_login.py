"""Logins under attack: throttling with growing delays, device cookies, the client address
behind the reverse proxy, HTTPS cookies, session expiry.

The console app runs in this process (``make_console``) with an injected clock, on a real
SQLite database, over real HTTP. Each stranger's attempt comes before what must keep working.
"""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from handoff import agents
from handoff.console.proxy import TrustedProxies
from handoff.console.throttle import DeviceCookies, LoginThrottle, ThrottlePolicy
from handoff.db import session_scope
from handoff.models import AgentSession, LoginFailure
from tests.handoff.helpers import PASSWORD, AgentClient, set_cookies

STRANGER = "203.0.113.66"  # documentation addresses (RFC 5737), never contacted
RINA_AT_HOME = "198.51.100.7"
T0 = dt.datetime(2026, 12, 1, 9, 0, 0)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def failure_keys(url=None):
    with session_scope(url) as session:
        return set(session.execute(select(LoginFailure.throttle_key)).scalars())


def sessions(url=None) -> int:
    with session_scope(url) as session:
        return int(session.execute(select(func.count(AgentSession.id))).scalar_one())


def wrong(client: AgentClient, username: str = "rina"):
    return client.login(username, "not the password")


# --- the throttle's arithmetic ------------------------------------------------------------------


def test_delays_grow_from_the_fourth_failure_and_stop_at_fifteen_minutes(handoff_url):
    throttle = LoginThrottle()
    keys = throttle.keys("rina", STRANGER, None)
    waits, moment = [], 0
    for _ in range(16):  # a guesser who tries again the moment it is allowed
        wait = throttle.begin(keys, at(moment), url=handoff_url).wait_seconds
        waits.append(wait)
        if wait:
            moment += wait
            assert throttle.begin(keys, at(moment), url=handoff_url).wait_seconds == 0
    assert waits == [0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    # A refused attempt is not counted: asking again and again does not make it longer.
    for _ in range(5):
        assert throttle.begin(keys, at(moment + 1), url=handoff_url).wait_seconds == 899
    assert throttle.failures("account:rina", at(moment), url=handoff_url) == 16
    assert throttle.failures(f"address:{STRANGER}", at(moment), url=handoff_url) == 16


def test_failures_older_than_the_window_are_forgotten(handoff_url):
    throttle = LoginThrottle(ThrottlePolicy(window=dt.timedelta(hours=1)))
    keys = throttle.keys("karim", STRANGER, None)
    for n in range(5):
        throttle.begin(keys, at(n * 100), url=handoff_url)
    assert throttle.begin(keys, at(401), url=handoff_url).wait_seconds > 0
    # An hour after the last failure: a clean slate, and the old rows are gone.
    assert throttle.begin(keys, at(400 + 3601), url=handoff_url).wait_seconds == 0
    assert throttle.failures("account:karim", at(400 + 3601), url=handoff_url) == 1


def test_parallel_guesses_are_counted_one_by_one(handoff_url):
    """A burst of simultaneous guesses: only the free ones get to the password check."""
    throttle = LoginThrottle()
    keys = throttle.keys("rina", STRANGER, None)
    throttle.begin(keys, at(0), url=handoff_url)  # tables warm, engine created
    start = threading.Barrier(12)

    def guess(_):
        start.wait()
        return throttle.begin(keys, at(1), url=handoff_url).wait_seconds

    with ThreadPoolExecutor(max_workers=12) as pool:
        waits = list(pool.map(guess, range(12)))
    assert sorted(waits).count(0) == 2  # 3 free in all, one used above
    assert throttle.failures("account:rina", at(1), url=handoff_url) == 3


# --- over HTTP ------------------------------------------------------------------------------------


def test_refused_logins_get_429_with_retry_after_and_growing_delays(app_console, clock):
    stranger = app_console.client(X_Forwarded_For=STRANGER)
    for _ in range(3):
        assert wrong(stranger).status_code == 401
    for expected in (1, 2, 4, 8):
        refused = wrong(stranger)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == str(expected)
        assert f"Please wait {expected} second" in refused.text
        assert "Too many failed logins for now" in refused.text
        clock.advance(seconds=expected)
        assert wrong(stranger).status_code == 401
    # Even the right password waits (the password is not even looked at).
    blocked = app_console.client(X_Forwarded_For=STRANGER).login("rina", PASSWORD)
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "16"
    # Never a lockout: after the wait, the right password works.
    clock.advance(seconds=16)
    assert app_console.client(X_Forwarded_For=STRANGER).login("rina", PASSWORD).status_code == 303


def test_a_stranger_hammering_rina_does_not_keep_rina_out(app_console, clock, handoff_url):
    # Rina logged in from her laptop before: it has her device cookie.
    rina = app_console.login("rina", X_Forwarded_For=RINA_AT_HOME)
    device = rina.http.cookies.get("seba_device_rina")
    assert device and rina.post("/logout").status_code == 303

    # A stranger makes 50 failed logins on "rina" (waiting out each delay).
    stranger = app_console.client(X_Forwarded_For=STRANGER)
    failures = 0
    while failures < 50:
        response = wrong(stranger)
        if response.status_code == 429:
            clock.advance(seconds=int(response.headers["Retry-After"]))
        else:
            assert response.status_code == 401
            failures += 1
    assert wrong(stranger).status_code == 429  # the stranger is slowed down

    # Rina, on her laptop: straight in, and her own typo is counted on her own key.
    assert wrong(rina).status_code == 401
    assert rina.login("rina", PASSWORD).status_code == 303
    assert "রিনা" in rina.get("/").text

    # The stranger's device cookies are worthless: made up, tampered, or Karim's own.
    karim = app_console.login("karim", X_Forwarded_For="192.0.2.77")
    karims = karim.http.cookies.get("seba_device_karim")
    device_id, issued, mac = device.split(".")
    flipped = ("B" if mac[0] == "A" else "A") + mac[1:]

    def with_device_cookie(value):
        browser = app_console.client(X_Forwarded_For=STRANGER)
        browser.http.cookies.set("seba_device_rina", value, path="/login")
        return browser.login("rina", PASSWORD).status_code

    for forged in (
        "x.1.y",
        karims,
        f"{device_id}.{int(issued) + 1}.{mac}",
        f"{device_id}.{issued}.{flipped}",
    ):
        assert with_device_cookie(forged) == 429, forged
    assert with_device_cookie(device) == 303  # the control: this is how a cookie is sent
    # Without her cookie (a new computer) Rina waits like the stranger: slowed, not locked.
    new_laptop = app_console.client(X_Forwarded_For=RINA_AT_HOME)
    assert new_laptop.login("rina", PASSWORD).status_code == 429


def test_one_address_trying_many_accounts_is_slowed_down(app_console, clock):
    stranger = app_console.client(X_Forwarded_For=STRANGER)
    for n in range(10):  # ten usernames, one wrong password each
        assert wrong(stranger, f"user{n}").status_code == 401
    assert wrong(stranger, "karim").status_code == 429
    # Karim, from his own address, is not affected.
    assert (
        app_console.client(X_Forwarded_For=RINA_AT_HOME).login("karim", PASSWORD).status_code == 303
    )


def test_the_count_survives_a_restart_and_holds_across_processes(
    make_console, two_agents, handoff_url
):
    first, second = make_console(), make_console()
    for console in (first, second, first):  # three consoles' worth of failures, one count
        assert wrong(console.client(X_Forwarded_For=STRANGER)).status_code == 401
    assert wrong(second.client(X_Forwarded_For=STRANGER)).status_code == 429
    first.stop()
    restarted = make_console()
    assert wrong(restarted.client(X_Forwarded_For=STRANGER)).status_code == 429
    assert "account:rina" in failure_keys(handoff_url)


def test_unknown_users_cost_the_same_password_check(app_console, monkeypatch):
    import handoff.agents as agent_store

    checks = []
    real = agent_store.verify_password
    monkeypatch.setattr(
        agent_store,
        "verify_password",
        lambda password, stored: checks.append(stored is not None) or real(password, stored),
    )
    assert wrong(app_console.client(X_Forwarded_For=STRANGER), "nobody").status_code == 401
    assert wrong(app_console.client(X_Forwarded_For=RINA_AT_HOME), "rina").status_code == 401
    assert checks == [False, True]  # one scrypt check each, against a dummy hash for "nobody"


def test_device_cookies_are_bound_to_account_and_key():
    cookies, other_key = DeviceCookies(b"k" * 32), DeviceCookies(b"j" * 32)
    value = cookies.issue("rina", 1_000_000)
    device_id = value.split(".")[0]
    assert cookies.device_of("rina", value, 1_000_100) == device_id
    assert cookies.device_of("karim", value, 1_000_100) is None
    assert other_key.device_of("rina", value, 1_000_100) is None
    assert cookies.device_of("rina", value, 1_000_000 + 181 * 86400) is None  # too old
    assert cookies.cookie_name("rina") == "seba_device_rina"
    assert cookies.cookie_name("Rina; path=/") is None


# --- the client's address and HTTPS behind the proxy ----------------------------------------------


def test_forwarded_for_from_an_untrusted_peer_is_ignored(make_console, two_agents, handoff_url):
    console = make_console(trusted_proxies="192.0.2.1")  # the test client is not a proxy
    dodger = console.client()
    for n in range(12):  # a new made-up address every time
        dodger.http.headers["X-Forwarded-For"] = f"203.0.113.{n}"
        response = wrong(dodger, f"user{n}")
    assert response.status_code == 429  # counted on the real address all along
    keys = failure_keys(handoff_url)
    assert "address:127.0.0.1" in keys and not any(k.startswith("address:203.") for k in keys)


def test_forwarded_for_from_a_trusted_proxy_is_used(app_console, handoff_url):
    chain = f"10.9.8.7, {STRANGER}, 127.0.0.1"  # made up by the client, seen by us, a 2nd proxy
    assert wrong(app_console.client(X_Forwarded_For=chain)).status_code == 401
    keys = failure_keys(handoff_url)
    assert f"address:{STRANGER}" in keys
    assert "address:10.9.8.7" not in keys and "address:127.0.0.1" not in keys


@pytest.mark.parametrize(
    "peer, header, client",
    [
        ("127.0.0.1", [], "127.0.0.1"),
        ("127.0.0.1", ["203.0.113.5"], "203.0.113.5"),
        ("127.0.0.1", ["1.2.3.4, 203.0.113.5"], "203.0.113.5"),
        ("127.0.0.1", ["1.2.3.4", "203.0.113.5, ::1"], "203.0.113.5"),
        ("127.0.0.1", ["not-an-address, 127.0.0.1"], "127.0.0.1"),
        ("127.0.0.1", ["2001:db8::5"], "2001:db8::5"),
        ("::ffff:127.0.0.1", ["203.0.113.5"], "203.0.113.5"),
        ("198.51.100.9", ["203.0.113.5"], "198.51.100.9"),
    ],
)
def test_client_address_is_the_right_most_untrusted_hop(peer, header, client):
    assert TrustedProxies("127.0.0.1,::1").client_address(peer, header) == client


def _login_cookies(url, **headers):
    """Log in as rina with raw requests (Secure cookies are not sent back over http)."""
    page = requests.get(url + "/login", headers=headers, timeout=30)
    token = AgentClient.csrf_in(page.text)
    login = requests.post(
        url + "/login",
        headers={**headers, "Cookie": f"seba_login_csrf={token}"},
        data={"csrf_token": token, "username": "rina", "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert login.status_code == 303
    return set_cookies(page) + set_cookies(login)


def test_cookies_are_secure_over_https_via_a_trusted_proxy(make_console, two_agents, monkeypatch):
    def secure(cookies, name):
        found = [c for c in cookies if c.startswith(name + "=")]
        assert found, name
        return all(
            any(part.strip().lower() == "secure" for part in c.split(";")[1:]) for c in found
        )

    trusted = make_console()
    cookies = _login_cookies(trusted.url, **{"X-Forwarded-Proto": "https"})
    for name in ("seba_login_csrf", "seba_console", "seba_device_rina"):
        assert secure(cookies, name), name
    plain = _login_cookies(trusted.url)
    assert not secure(plain, "seba_console")
    # From a peer that is not a proxy, the header means nothing.
    untrusted = make_console(trusted_proxies="192.0.2.1")
    assert not secure(
        _login_cookies(untrusted.url, **{"X-Forwarded-Proto": "https"}), "seba_console"
    )
    # The owner can insist (e.g. a proxy that does not send the header).
    monkeypatch.setenv("HANDOFF_COOKIE_SECURE", "1")
    assert secure(_login_cookies(untrusted.url), "seba_console")


# --- sessions expire ------------------------------------------------------------------------------


def test_an_idle_session_expires_and_is_purged(app_console, clock, handoff_url):
    rina = app_console.login("rina")
    clock.advance(minutes=110)
    assert rina.get("/").status_code == 200  # still there: and this request counts
    clock.advance(minutes=110)
    assert rina.get("/").status_code == 200
    clock.advance(minutes=121)  # two hours and a minute without a request
    gone = rina.get("/")
    assert gone.status_code == 303 and gone.headers["Location"] == "/login"
    assert rina.get("/api/queue", headers={"Accept": "application/json"}).status_code == 401
    assert sessions(handoff_url) == 0


def test_a_busy_session_still_ends_after_a_shift(app_console, clock, handoff_url):
    rina = app_console.login("rina")
    for _ in range(11):
        clock.advance(minutes=60)
        assert rina.get("/").status_code == 200
    clock.advance(minutes=59)
    assert rina.get("/").status_code == 200  # 11 h 59 min
    clock.advance(minutes=2)
    assert rina.get("/").status_code == 303  # 12 h 1 min: log in again
    assert sessions(handoff_url) == 0
    assert app_console.login("rina").get("/").status_code == 200


def test_expired_sessions_of_others_are_purged_at_the_next_login(app_console, clock, handoff_url):
    app_console.login("karim")
    clock.advance(hours=3)  # Karim went home without logging out
    app_console.login("rina")
    assert sessions(handoff_url) == 1
    assert agents.purge_sessions(now=clock(), url=handoff_url) == 0


def test_parallel_guesses_on_postgres_are_counted_one_by_one(pg_handoff_url):
    throttle = LoginThrottle()
    keys = throttle.keys("rina", STRANGER, None)
    start = threading.Barrier(10)

    def guess(_):
        start.wait()
        return throttle.begin(keys, at(1), url=pg_handoff_url).wait_seconds

    with ThreadPoolExecutor(max_workers=10) as pool:
        waits = list(pool.map(guess, range(10)))
    assert waits.count(0) == 3 and all(w == 1 for w in waits if w)
    assert throttle.failures("account:rina", at(1), url=pg_handoff_url) == 3
