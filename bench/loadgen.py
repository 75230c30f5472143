"""Load generator: simulated customers talking to a Rasa server over REST or socket.io.

Runs in its own process (``python -m bench.loadgen SPEC.json OUT.json``) so that its
CPU use is not mixed into the server's and a crash here cannot take the orchestrator
down. Only talks to the base URL in the spec (the orchestrator passes 127.0.0.1).

Closed loop: each of ``concurrency`` customers holds one conversation at a time and
sends the next turn only after the reply to the previous one arrived; after the last
turn it starts the next conversation (next script in its rotation, new sender id).
No think time: this measures how many replies the server can give, and how fast, when
N customers are waiting. A customer starts no new turn after ``duration`` seconds;
replies in flight then are still counted. Bounded by ``max_conversations`` and a hard
wall-clock limit.

"A reply" = everything the bot sends for one user message (one REST response; on
socket.io, the ``bot_uttered`` events expected for that turn). Checks per turn:
- REST: HTTP 200 with a JSON list; the number of bot messages equals the serial
  reference transcript's (``expected``), else ``count_mismatch``.
- socket.io: the expected number of ``bot_uttered`` events arrives within
  ``turn_timeout`` (else ``lost``); any event arriving while none is expected (before
  the next turn is sent, or after the run) is counted as ``extra`` — a reply that came
  late, twice, or out of order.
Latency = from sending the message to the complete reply (last expected message);
on socket.io the time to the first message is recorded too.
"""

import asyncio
import json
import random
import sys
import time
import uuid
from typing import Any, Dict, List, Optional

OK = "ok"


def _now() -> float:
    return time.perf_counter()


class Recorder:
    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.turns: List[
            list
        ] = []  # [conv, turn, t_send, latency, first, n, expected, status, customer]
        self.errors: List[str] = []
        self.extra = 0
        self.started = 0
        self.completed = 0
        self.transcripts: Dict[str, list] = {}

    def turn(
        self,
        conv: int,
        turn: int,
        t_send: float,
        latency: Optional[float],
        first: Optional[float],
        n: int,
        expected: Optional[int],
        status: str,
        customer: int,
    ) -> None:
        self.turns.append(
            [
                conv,
                turn,
                round(t_send - self.t0, 4),
                None if latency is None else round(latency, 5),
                None if first is None else round(first, 5),
                n,
                expected,
                status,
                customer,
            ]
        )

    def error(self, msg: str) -> None:
        if len(self.errors) < 50:
            self.errors.append(msg[:300])


def _expected(conv: Dict[str, Any], turn: int, channel: str) -> Optional[int]:
    exp = conv.get("expected_" + channel)
    if exp is None or turn >= len(exp):
        return None
    return exp[turn]


async def _rest_customer(
    cid: int, spec: Dict[str, Any], rec: Recorder, deadline: float, budget: List[int]
) -> None:
    import aiohttp

    convs = spec["conversations"]
    url = spec["base_url"].rstrip("/") + "/webhooks/rest/webhook"
    timeout = aiohttp.ClientTimeout(total=spec.get("turn_timeout", 30))
    k = cid  # each customer starts at a different place in the rotation
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while _now() < deadline and budget[0] > 0:
            budget[0] -= 1
            ci = k % len(convs)
            k += spec.get("stride", 1)
            conv = convs[ci]
            sender = f"{spec['sender_prefix']}-{cid}-{uuid.uuid4().hex[:10]}"
            rec.started += 1
            transcript = []
            done = True
            for ti, text in enumerate(conv["turns"]):
                if _now() >= deadline:
                    done = False
                    break
                expected = _expected(conv, ti, "rest")
                t = _now()
                try:
                    async with session.post(
                        url,
                        json={"sender": sender, "message": text},
                        headers=spec.get("rest_headers"),
                    ) as resp:
                        body = await resp.text()
                        lat = _now() - t
                        if resp.status != 200:
                            rec.turn(
                                ci, ti, t, lat, None, 0, expected, "http_%d" % resp.status, cid
                            )
                            rec.error(f"HTTP {resp.status} for {text!r}: {body[:120]}")
                            continue
                        msgs = json.loads(body)
                except asyncio.TimeoutError:
                    rec.turn(ci, ti, t, None, None, 0, expected, "timeout", cid)
                    rec.error(f"timeout for {text!r}")
                    continue
                except Exception as exc:  # connection refused/reset, bad JSON
                    rec.turn(ci, ti, t, None, None, 0, expected, "exception", cid)
                    rec.error(f"{type(exc).__name__}: {exc} for {text!r}")
                    continue
                n = len(msgs) if isinstance(msgs, list) else 0
                status = OK if expected is None or n == expected else "count_mismatch"
                rec.turn(ci, ti, t, lat, lat, n, expected, status, cid)
                if spec.get("keep_transcripts"):
                    transcript.append(msgs)
            if done:
                rec.completed += 1
            if spec.get("keep_transcripts"):
                rec.transcripts[str(ci)] = transcript


async def _socketio_customer(
    cid: int, spec: Dict[str, Any], rec: Recorder, deadline: float, budget: List[int]
) -> None:
    import socketio

    convs = spec["conversations"]
    turn_timeout = spec.get("turn_timeout", 30)
    queue: "asyncio.Queue[float]" = asyncio.Queue()
    confirmed: "asyncio.Queue[Any]" = asyncio.Queue()
    sio = socketio.AsyncClient(reconnection=False)

    @sio.on("bot_uttered")
    async def _on_bot(_data: Any) -> None:
        queue.put_nowait(_now())

    @sio.on("session_confirm")
    async def _on_confirm(data: Any) -> None:
        confirmed.put_nowait(data)

    async def connect() -> bool:
        try:
            await sio.connect(
                spec["base_url"],
                transports=["websocket"],
                socketio_path="socket.io",
                wait_timeout=turn_timeout,
            )
            return True
        except Exception as exc:
            rec.error(f"socket.io connect: {type(exc).__name__}: {exc}")
            return False

    def drain() -> int:
        n = 0
        while not queue.empty():
            queue.get_nowait()
            n += 1
        return n

    if not await connect():
        rec.turn(-1, -1, _now(), None, None, 0, None, "connect_failed", cid)
        return
    k = cid
    try:
        while _now() < deadline and budget[0] > 0:
            budget[0] -= 1
            ci = k % len(convs)
            k += spec.get("stride", 1)
            conv = convs[ci]
            if not sio.connected and not await connect():
                rec.turn(ci, -1, _now(), None, None, 0, None, "connect_failed", cid)
                break
            # A new conversation: no id asked for, the server issues one (ours only accepts
            # ids it issued; stock Rasa makes one up too).
            await sio.emit("session_request", {"session_id": None})
            try:
                session_id = await asyncio.wait_for(confirmed.get(), timeout=turn_timeout)
                if isinstance(session_id, dict):
                    session_id = session_id.get("session_id")
            except asyncio.TimeoutError:
                rec.turn(ci, -1, _now(), None, None, 0, None, "session_timeout", cid)
                rec.error("no session_confirm")
                continue
            rec.started += 1
            done = True
            for ti, text in enumerate(conv["turns"]):
                if _now() >= deadline:
                    done = False
                    break
                rec.extra += drain()
                expected = _expected(conv, ti, "socketio")
                t = _now()
                await sio.emit("user_uttered", {"message": text, "session_id": session_id})
                if expected is None or expected == 0:
                    # Nothing to wait for: give the server a moment, count what came.
                    await asyncio.sleep(spec.get("zero_wait", 0.5))
                    n = drain()
                    status = OK if expected == 0 and n == 0 else ("extra" if n else "no_reference")
                    rec.turn(ci, ti, t, None, None, n, expected, status, cid)
                    continue
                got: List[float] = []
                status = OK
                while len(got) < expected:
                    remaining = t + turn_timeout - _now()
                    try:
                        got.append(
                            await asyncio.wait_for(queue.get(), timeout=max(remaining, 0.001))
                        )
                    except asyncio.TimeoutError:
                        status = "lost"
                        rec.error(f"lost: {len(got)}/{expected} replies for {text!r}")
                        break
                rec.turn(
                    ci,
                    ti,
                    t,
                    (got[-1] - t) if got and status == OK else None,
                    (got[0] - t) if got else None,
                    len(got),
                    expected,
                    status,
                    cid,
                )
            if done:
                rec.completed += 1
    finally:
        # Anything still arriving after the customer's last turn is an extra reply.
        await asyncio.sleep(spec.get("final_grace", 0.5))
        rec.extra += drain()
        try:
            await sio.disconnect()
        except Exception:
            pass


async def run(spec: Dict[str, Any]) -> Dict[str, Any]:
    concurrency = int(spec["concurrency"])
    duration = float(spec["duration"])
    t0 = _now()
    rec = Recorder(t0)
    deadline = t0 + duration
    budget = [int(spec.get("max_conversations", 10**9))]
    worker = _rest_customer if spec["channel"] == "rest" else _socketio_customer
    ramp = float(spec.get("ramp", 0.0))

    async def delayed(i: int) -> None:
        if ramp:
            await asyncio.sleep(ramp * i / max(concurrency, 1))
        await worker(i, spec, rec, deadline, budget)

    tasks = [asyncio.ensure_future(delayed(i)) for i in range(concurrency)]
    hard = duration + float(spec.get("turn_timeout", 30)) + 30
    done, pending = await asyncio.wait(tasks, timeout=hard)
    for task in pending:
        task.cancel()
        rec.error("customer cancelled at the hard time limit")
    for task in done:
        if task.exception() is not None:
            rec.error(f"customer crashed: {task.exception()!r}")
    latencies = [r[3] for r in rec.turns if r[7] == OK and r[3] is not None]
    ends = [r[2] + r[3] for r in rec.turns if r[3] is not None]
    elapsed = max(ends) if ends else _now() - t0
    return {
        "channel": spec["channel"],
        "concurrency": concurrency,
        "duration": duration,
        "elapsed": elapsed,
        "turns": rec.turns,
        "errors": rec.errors,
        "extra_messages": rec.extra,
        "conversations_started": rec.started,
        "conversations_completed": rec.completed,
        "replies_ok": len(latencies),
        "transcripts": rec.transcripts,
    }


def main(argv: List[str]) -> int:
    spec_path, out_path = argv[0], argv[1]
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    random.seed(spec.get("seed", 1))
    result = asyncio.run(run(spec))
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
