"""Rasa's HTTP API, as the handoff service uses it (aiohttp client).

- ``GET  /conversations/{id}/tracker``: the transcript (and whether the bot is paused).
- ``POST /conversations/{id}/tracker/events?execute_side_effects=true&output_channel=latest``
  with a ``bot`` event: an agent's reply. Rasa records it and sends it through the output
  channel of the customer's latest input channel (``tracker.get_latest_input_channel()``),
  also while the conversation is paused.
- hand back: append ``{"event": "resume"}``, then
  ``POST /conversations/{id}/trigger_intent?output_channel=latest`` with ``HANDBACK_INTENT``:
  the bot says it is back and asks for a rating (the bot's domain defines the intent and a
  rule for it). ``trigger_intent`` runs no prediction while a conversation is paused, hence
  resume first.

Server: ``RASA_URL`` (default http://localhost:5005). Every request carries a short-lived
bearer token signed with ``RASA_JWT_SECRET`` (``seba.secrets.rasa_api_headers``; Rasa runs
with ``--jwt-secret``): nothing secret travels in a URL.
"""

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import aiohttp

logger = logging.getLogger(__name__)

#: The external intent the bot handles after an agent hands a conversation back
#: (welcome-back message + rating question). Defined by the bot side in domain.yml.
HANDBACK_INTENT = "EXTERNAL_handback"
DEFAULT_RASA_URL = "http://localhost:5005"


class RasaError(Exception):
    """Rasa answered with an error (``status``) or could not be reached (``status`` None)."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class HandBackResult:
    resumed: bool
    triggered: bool  # the bot's welcome-back ran (False: e.g. the intent is not in the domain)
    detail: str = ""


def rasa_url() -> str:
    return (os.environ.get("RASA_URL") or DEFAULT_RASA_URL).rstrip("/")


class RasaClient:
    """``async with RasaClient() as rasa: await rasa.get_tracker(...)``; or pass a shared
    ``aiohttp.ClientSession`` (then closing it is the caller's business)."""

    def __init__(
        self,
        base_url: Optional[str] = None,
        timeout: float = 15.0,
        session: Optional[aiohttp.ClientSession] = None,
    ) -> None:
        self.base_url = (base_url or rasa_url()).rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> "RasaClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    def _path(self, conversation_id: str, suffix: str) -> str:
        return f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/{suffix}"

    def _params(self, **params: str) -> Dict[str, str]:
        return params

    async def _request(
        self, method: str, url: str, params: Dict[str, str], json: Any = None
    ) -> Any:
        from seba.secrets import MissingSecret, rasa_api_headers

        try:
            headers = rasa_api_headers()
        except MissingSecret as exc:
            raise RasaError(f"cannot authenticate to Rasa: {exc}") from exc
        try:
            async with self._http().request(
                method, url, params=params, json=json, headers=headers
            ) as resp:
                body = await resp.text()
                if resp.status >= 400:
                    raise RasaError(
                        f"Rasa {method} {resp.url.path} -> {resp.status}: {body[:300]}",
                        resp.status,
                    )
                if not body:
                    return None
                try:
                    return await resp.json(content_type=None)
                except ValueError:
                    return body
        except aiohttp.ClientError as exc:
            raise RasaError(f"Rasa is not reachable at {self.base_url}: {exc}") from exc
        except asyncio.TimeoutError as exc:  # not a subclass of TimeoutError before 3.11
            raise RasaError(f"Rasa did not answer in time ({self.base_url})") from exc

    async def status(self) -> Dict[str, Any]:
        return await self._request("GET", f"{self.base_url}/status", self._params())

    async def get_tracker(
        self, conversation_id: str, include_events: str = "ALL"
    ) -> Dict[str, Any]:
        """The conversation's tracker (``events``, ``paused``, ``latest_input_channel`` ...)."""
        return await self._request(
            "GET",
            self._path(conversation_id, "tracker"),
            self._params(include_events=include_events),
        )

    async def append_events(
        self,
        conversation_id: str,
        events: List[Dict[str, Any]],
        execute_side_effects: bool = False,
    ) -> Dict[str, Any]:
        params = self._params(include_events="NONE")
        if execute_side_effects:
            params.update(execute_side_effects="true", output_channel="latest")
        return await self._request(
            "POST", self._path(conversation_id, "tracker/events"), params, json=events
        )

    async def send_agent_message(
        self, conversation_id: str, text: str, agent_name: str
    ) -> Dict[str, Any]:
        """Send an agent's reply to the customer's channel and record it in the transcript."""
        event = {"event": "bot", "text": text, "metadata": {"agent": agent_name}}
        return await self.append_events(conversation_id, [event], execute_side_effects=True)

    async def pause(self, conversation_id: str) -> Dict[str, Any]:
        return await self.append_events(conversation_id, [{"event": "pause"}])

    async def resume(self, conversation_id: str) -> Dict[str, Any]:
        return await self.append_events(conversation_id, [{"event": "resume"}])

    async def trigger_intent(
        self, conversation_id: str, intent: str, entities: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        body: Dict[str, Any] = {"name": intent}
        if entities:
            body["entities"] = entities
        return await self._request(
            "POST",
            self._path(conversation_id, "trigger_intent"),
            self._params(output_channel="latest", include_events="NONE"),
            json=body,
        )

    async def hand_back(self, conversation_id: str, welcome_back: bool = True) -> HandBackResult:
        """Resume the bot; then (``welcome_back``) trigger ``HANDBACK_INTENT``.

        Raises ``RasaError`` when the resume fails (the conversation is still paused). A failed
        trigger only shows in the result: the bot is back either way and answers the
        customer's next message."""
        await self.resume(conversation_id)
        if not welcome_back:
            return HandBackResult(True, False, "resumed")
        try:
            await self.trigger_intent(conversation_id, HANDBACK_INTENT)
        except RasaError as exc:
            if exc.status == 404:
                detail = f"the bot has no intent {HANDBACK_INTENT} yet; resumed without a greeting"
            else:
                detail = f"resumed, but the welcome-back failed: {exc}"
            logger.warning("hand back %s: %s", conversation_id, detail)
            return HandBackResult(True, False, detail)
        return HandBackResult(True, True, "resumed and welcomed back")
