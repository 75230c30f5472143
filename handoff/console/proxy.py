"""Who is the client, and did they come over HTTPS, behind the documented reverse proxy.

``HANDOFF_TRUSTED_PROXIES`` (comma-separated addresses or networks, default
``127.0.0.1,::1``) are the proxies allowed to speak for a client. Their headers are believed
only when the TCP peer is one of them:

- ``X-Forwarded-For``: each proxy appends the address it saw, so the client is the
  right-most entry that is not a trusted proxy (entries further left were written by the
  client and could be anything);
- ``X-Forwarded-Proto: https``: the client reached the proxy over HTTPS.

From anyone else the headers are ignored: a stranger cannot pick an address to dodge the
login throttle or another agent's count.
"""

import ipaddress
import os
from typing import Iterable, List, Optional, Union

from aiohttp import web

from handoff.console.helpers import PROXIES

DEFAULT_TRUSTED_PROXIES = "127.0.0.1,::1"
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def _address(text: str) -> Optional[Union[ipaddress.IPv4Address, ipaddress.IPv6Address]]:
    text = (text or "").strip()
    if text.startswith("[") and "]" in text:  # "[::1]:1234"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:1234"
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:10.0.0.1 is 10.0.0.1
    return mapped or address


class TrustedProxies:
    def __init__(self, spec: Optional[str] = None) -> None:
        if spec is None:
            spec = os.environ.get("HANDOFF_TRUSTED_PROXIES", DEFAULT_TRUSTED_PROXIES)
        self.networks: List[Network] = []
        for item in spec.split(","):
            if item.strip():
                # A bad entry is a configuration error: better to refuse to start than to
                # silently trust nobody (or everybody).
                self.networks.append(ipaddress.ip_network(item.strip(), strict=False))

    def trusts(self, address: Optional[str]) -> bool:
        parsed = _address(address or "")
        return parsed is not None and any(parsed in net for net in self.networks)

    def client_address(self, peer: Optional[str], forwarded_for: Iterable[str] = ()) -> str:
        """The client's address from the TCP peer and the X-Forwarded-For header values."""
        peer_text = str(_address(peer or "") or peer or "unknown")
        if not self.trusts(peer):
            return peer_text
        hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
        client = peer_text
        for hop in reversed([h for h in hops if h]):
            parsed = _address(hop)
            if parsed is None:  # not written by a proxy of ours: stop at the last good hop
                break
            client = str(parsed)
            if not self.trusts(client):
                break
        return client

    def is_https(
        self, peer: Optional[str], secure_transport: bool, forwarded_proto: Iterable[str] = ()
    ) -> bool:
        if secure_transport:
            return True
        if not self.trusts(peer):
            return False
        values = [v.strip().lower() for value in forwarded_proto for v in value.split(",")]
        return bool(values) and values[-1] == "https"


# --- for a request ---------------------------------------------------------------------------


def _proxies(request: web.Request) -> TrustedProxies:
    return request.app[PROXIES]


def client_address(request: web.Request) -> str:
    return _proxies(request).client_address(
        request.remote, request.headers.getall("X-Forwarded-For", [])
    )


def is_https(request: web.Request) -> bool:
    return _proxies(request).is_https(
        request.remote, request.secure, request.headers.getall("X-Forwarded-Proto", [])
    )


def cookie_secure(request: web.Request) -> bool:
    """Cookies get ``Secure`` over HTTPS, and always with ``HANDOFF_COOKIE_SECURE=1``."""
    forced = os.environ.get("HANDOFF_COOKIE_SECURE", "").lower() in ("1", "true", "yes")
    return forced or is_https(request)
