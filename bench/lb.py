"""A minimal TCP (layer-4) round-robin load balancer for the scale-out test.

``python -m bench.lb LISTEN_PORT BACKEND_PORT [BACKEND_PORT ...]`` listens on
127.0.0.1:LISTEN_PORT and hands each new client connection to the next backend
(127.0.0.1:BACKEND_PORT) in turn, then copies bytes both ways. Being below HTTP it
carries the REST channel and socket.io's websocket alike, and a websocket stays on
the backend that accepted it (the "sticky" session that Rasa's socket.io output
channel needs: it cannot be recreated in another process). REST clients with
keep-alive connections are spread per connection, not per request — the benchmark's
customers each hold their own connection, so N customers spread N/2 : N/2.

Why not nginx: no extra system package and no config file to template; the proxy's
cost is a few syscalls per message and is reported (its CPU time) with the results.
Stops by itself after ``--max-seconds`` (default 3600).
"""

import argparse
import asyncio
import itertools
import signal
import sys
from typing import List


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def serve(listen: int, backends: List[int], max_seconds: float) -> None:
    rr = itertools.cycle(backends)
    counts = {b: 0 for b in backends}

    async def handle(creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        port = next(rr)
        counts[port] += 1
        try:
            breader, bwriter = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(_pipe(creader, bwriter), _pipe(breader, cwriter))

    server = await asyncio.start_server(handle, "127.0.0.1", listen, backlog=1024)
    print(f"lb: 127.0.0.1:{listen} -> {backends}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        try:
            await asyncio.wait_for(stop.wait(), timeout=max_seconds)
        except asyncio.TimeoutError:
            pass
    print(f"lb: connections per backend {counts}", flush=True)


def main(argv: List[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.lb")
    ap.add_argument("listen", type=int)
    ap.add_argument("backends", type=int, nargs="+")
    ap.add_argument("--max-seconds", type=float, default=3600)
    a = ap.parse_args(argv)
    asyncio.run(serve(a.listen, a.backends, a.max_seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
