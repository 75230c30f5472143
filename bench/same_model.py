"""Do two models answer the same? ``python -m bench.same_model A.tar.gz B.tar.gz OUT.json``

Parses every held-out message (tests/nlu/heldout) with both models and writes how many got
a different intent or FAQ key, and the largest difference in the top intent's confidence.
The benchmark trains ours twice from the same data with empty caches: the same data must
give the same bot (training is seeded)."""

import asyncio
import json
import sys
from pathlib import Path


async def _predictions(model: str, texts):
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    out = []
    for text in texts:
        parsed = await agent.parse_message(text)
        intent = parsed.get("intent") or {}
        key = ((parsed.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        out.append(
            (
                intent.get("name"),
                float(intent.get("confidence") or 0.0),
                key.get("intent_response_key"),
            )
        )
    return out


def main(argv=None) -> int:
    a, b, target = (argv if argv is not None else sys.argv[1:])[:3]
    from seba.evaluation import load_heldout

    texts = [row["text"] for rows in load_heldout().values() for row in rows]
    pa = asyncio.run(_predictions(a, texts))
    pb = asyncio.run(_predictions(b, texts))
    different = [t for t, x, y in zip(texts, pa, pb, strict=True) if (x[0], x[2]) != (y[0], y[2])]
    result = {
        "messages": len(texts),
        "different_answers": len(different),
        "max_confidence_diff": max(
            (abs(x[1] - y[1]) for x, y in zip(pa, pb, strict=True)), default=0.0
        ),
        "examples": different[:10],
    }
    Path(target).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "examples"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
