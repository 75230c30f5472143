"""A stub of Rasa's HTTP API as the agent console uses it (``handoff/rasa_client.py``), for
the console's connector-level fuzz tests: every conversation is paused (with the agents) and
every call succeeds; the calls are recorded (``bot_texts`` are the agents' replies)."""

from typing import Any, Dict, List

from aiohttp import web

from tests.channels.fakes import Call, FakeApi


class FakeRasaApi(FakeApi):
    def routes(self, app: web.Application) -> None:
        app.router.add_get("/conversations/{id}/tracker", self._tracker)
        app.router.add_post("/conversations/{id}/tracker/events", self._events)
        app.router.add_post("/conversations/{id}/trigger_intent", self._trigger)
        app.router.add_get("/status", self._status)

    def error_body(self, status: int, description: str, extra: Dict[str, Any]) -> Dict[str, Any]:
        return {"status": "failure", "message": description, "code": status}

    async def _record(self, request: web.Request, method: str) -> Any:
        body = await request.json() if request.can_read_body else None
        self.calls.append(
            Call(
                method,
                {"id": request.match_info.get("id"), "body": body},
                dict(request.query),
                dict(request.headers),
            )
        )
        return body

    async def _tracker(self, request: web.Request) -> web.Response:
        await self._record(request, "tracker")
        return web.json_response(
            {
                "sender_id": request.match_info["id"],
                "events": [],
                "paused": True,
                "latest_input_channel": "telegram",
                "latest_action_name": "action_listen",
            }
        )

    async def _events(self, request: web.Request) -> web.Response:
        await self._record(request, "events")
        return web.json_response({"sender_id": request.match_info["id"]})

    async def _trigger(self, request: web.Request) -> web.Response:
        await self._record(request, "trigger_intent")
        return web.json_response({"tracker": {}, "messages": []})

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response({"model_file": "stub"})

    def bot_texts(self, conversation_id: str) -> List[str]:
        texts = []
        for call in list(self.calls):
            if call.method == "events" and call.params["id"] == conversation_id:
                body = call.params["body"]
                for event in body if isinstance(body, list) else [body]:
                    if isinstance(event, dict) and event.get("event") == "bot":
                        texts.append(event.get("text"))
        return texts
