"""Rasa's workers follow the live model (``seba.model_server``) without a restart.

Rasa 3.6.21 with ``models: {url: ...}`` in the endpoints (``rasa/core/agent.py``
``load_agent``) ignores ``--model`` and loads only from the model server: a model server
that is down or slow at start-up leaves a worker with no model, answering nothing. So, when
the endpoints name a model server, ``install()`` makes each worker:

1. start from the model file on disk (``--model models/seba.tar.gz``, the same file the
   model server serves), with the file's SHA-256 as the agent's fingerprint, so the first
   poll of an unchanged model is a 304;
2. then poll the model server every ``wait_time_between_pulls`` seconds (Rasa's own job,
   ``_schedule_model_pulling``), sending the server's secret header;
3. load a new model in a worker thread and swap it in at once, so the worker keeps
   answering with the old model meanwhile (Rasa loads it in the event loop: ~5-10 s of
   silence per worker). A model that fails to load leaves the old one in place (Rasa logs
   "Failed to update model"), and no fingerprint changes, so it is retried at the next poll.

Without ``models:`` in the endpoints nothing changes.
"""

import asyncio
import copy
import logging
from pathlib import Path
from typing import Any, Optional

from rasa.core import agent as rasa_agent
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.utils.common import TempDirectoryPath, get_temp_dir_name

from seba import model_server as served

logger = logging.getLogger(__name__)

_original_load_agent = rasa_agent.load_agent


def _model_file(model_path: Optional[str]) -> Optional[Path]:
    if not model_path:
        return None
    path = Path(model_path)
    if path.is_dir():
        from rasa.model import get_local_model

        try:
            path = Path(get_local_model(str(path)))
        except Exception:  # noqa: BLE001 - no model in the folder
            return None
    return path if path.is_file() else None


def _with_secret(server: Any) -> Any:
    server = copy.copy(server)
    server.headers = {**(server.headers or {}), served.SECRET_HEADER: served.token()}
    return server


async def load_agent(
    model_path: Optional[str] = None,
    model_server: Any = None,
    remote_storage: Optional[str] = None,
    endpoints: Any = None,
    loop: Any = None,
) -> Any:
    server = model_server
    if endpoints is not None and endpoints.model:
        server = endpoints.model
    disk = _model_file(model_path)
    if server is None or disk is None:
        return await _original_load_agent(
            model_path=model_path,
            model_server=server,
            remote_storage=remote_storage,
            endpoints=endpoints,
            loop=loop,
        )
    local = copy.copy(endpoints)
    if local is not None:
        local.model = None
    agent = await _original_load_agent(model_path=str(disk), endpoints=local, loop=loop)
    server = _with_secret(server)
    agent.model_server = server
    if agent.is_ready():
        agent._set_fingerprint(served.file_fingerprint(disk))
    wait = int(server.kwargs.get("wait_time_between_pulls") or 0)
    if wait:
        await rasa_agent._schedule_model_pulling(server, wait, agent)
    logger.info("Loaded %s; following the model server %s every %d s", disk, server.url, wait)
    return agent


async def update_model_from_server(server: Any, agent: Any) -> None:
    """Rasa's ``_update_model_from_server`` with the new model built in a thread."""
    with TempDirectoryPath(get_temp_dir_name()) as directory:
        try:
            fingerprint = await rasa_agent._pull_model_and_fingerprint(
                server, agent.fingerprint, directory
            )
            if not fingerprint:
                return
            loop = asyncio.get_running_loop()
            processor = await loop.run_in_executor(None, _new_processor, agent, directory)
            # The swap itself: no await in between, so a message sees the old model or the new.
            agent.processor = processor
            agent.domain = processor.domain
            agent._set_fingerprint(fingerprint)
            agent.tracker_store.domain = agent.domain
            if isinstance(agent.nlg, TemplatedNaturalLanguageGenerator):
                agent.nlg.responses = agent.domain.responses if agent.domain else {}
            logger.info("Loaded the new model %s from the model server.", fingerprint[:12])
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep answering with the model we have
            logger.exception("Failed to update model. The previous model will stay loaded instead.")


def _new_processor(agent: Any, directory: str) -> Any:
    return rasa_agent.MessageProcessor(
        model_path=directory,
        tracker_store=agent.tracker_store,
        lock_store=agent.lock_store,
        action_endpoint=agent.action_endpoint,
        generator=agent.nlg,
        http_interpreter=agent.http_interpreter,
    )


def install() -> None:
    rasa_agent.load_agent = load_agent  # what rasa.core.run.load_agent_on_start calls
    rasa_agent._update_model_from_server = update_model_from_server
