"""NLU time per message, in-process: p50/p95 over a split (the held-out one by default).

    python -m seba.nlu.latency [--model models/seba.tar.gz] [--data tests/nlu/heldout]

Each message is parsed once with the embedding cache emptied first (a customer's message is
new to the server), after a few warm-up messages; also reported: the share of messages
that needed the e5 embedding.
"""

import argparse
import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from seba import PROJECT_ROOT


async def measure(model_path: str, texts: List[str]) -> Dict[str, float]:
    from rasa.core.agent import Agent

    from seba.nlu import e5

    agent = Agent.load(model_path)
    for text in ["hello", "where is my order", "ডেলিভারি চার্জ কত"]:
        await agent.parse_message(text)
    computed = 0
    compute = e5._compute

    def counting(text: str) -> np.ndarray:
        nonlocal computed
        computed += 1
        return compute(text)

    e5._compute = counting
    times = []
    try:
        for text in texts:
            e5.embed.cache_clear()
            start = time.perf_counter()
            await agent.parse_message(text)
            times.append(1000 * (time.perf_counter() - start))
    finally:
        e5._compute = compute
    return {
        "messages": len(texts),
        "p50_ms": float(np.percentile(times, 50)),
        "p95_ms": float(np.percentile(times, 95)),
        "mean_ms": float(np.mean(times)),
        "embedded_share": computed / len(texts) if texts else 0.0,
    }


def main(argv: Optional[List[str]] = None) -> None:
    from seba.evaluation import HELDOUT_DIR, load_heldout

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(PROJECT_ROOT / "models" / "seba.tar.gz"))
    parser.add_argument("--data", default=str(HELDOUT_DIR))
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("rasa").setLevel(logging.WARNING)
    texts = [r["text"] for rows in load_heldout(Path(args.data)).values() for r in rows]
    result = asyncio.run(measure(args.model, texts))
    print(
        f"{result['messages']} messages: p50 {result['p50_ms']:.1f} ms, "
        f"p95 {result['p95_ms']:.1f} ms, mean {result['mean_ms']:.1f} ms, "
        f"e5 embedding for {100 * result['embedded_share']:.0f}%"
    )


if __name__ == "__main__":
    main()
