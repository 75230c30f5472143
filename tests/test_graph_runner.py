"""seba.runtime.SequentialGraphRunner gives exactly what Rasa's DaskGraphRunner gives."""

import asyncio

import pytest
from rasa.core import processor as rasa_processor
from rasa.core.agent import Agent
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, UserUttered

from seba.runtime import SequentialGraphRunner
from tests.servers import MODEL

pytestmark = pytest.mark.slow

TEXTS = [
    "আমার অর্ডার ১০৪৫৬ কোথায়?",
    "delivery charge koto",
    "What is your return policy?",
    "01711000001",
    "kalo borka ache?",
    "qwx zzkv",
    "ধন্যবাদ",
    "I want to talk to a person",
]


def agent_with(runner):
    original = rasa_processor.DaskGraphRunner
    rasa_processor.DaskGraphRunner = runner
    try:
        return Agent.load(str(MODEL))
    finally:
        rasa_processor.DaskGraphRunner = original


def test_the_sequential_runner_parses_and_predicts_like_dask():
    dask_agent, ours = agent_with(DaskGraphRunner), agent_with(SequentialGraphRunner)
    assert isinstance(ours.processor.graph_runner, SequentialGraphRunner)

    async def both(text):
        return await dask_agent.parse_message(text), await ours.parse_message(text)

    for text in TEXTS:
        expected, got = asyncio.run(both(text))
        assert got == expected, text

    for text in TEXTS:
        parse = asyncio.run(ours.parse_message(text))
        predictions = []
        for agent in (dask_agent, ours):
            tracker = agent.processor.tracker_store.init_tracker(f"runner-{text}")
            for event in (
                ActionExecuted("action_listen"),
                UserUttered(text, parse["intent"], parse["entities"], parse),
            ):
                tracker.update(event, agent.domain)
            prediction = agent.processor._predict_next_with_tracker(tracker)
            predictions.append((prediction.max_confidence_index, prediction.policy_name))
        assert predictions[0] == predictions[1], text
