"""What a benchmark run measures and how long: ``Settings`` (``python -m bench`` options)."""

from dataclasses import dataclass
from typing import Optional, Tuple

PARTS = ("train", "accuracy", "load", "long", "startup", "scale")
SYSTEMS = ("stock", "ours")
TOKEN = "bench-token"  # stock Rasa's --auth-token


@dataclass
class Settings:
    quick: bool = False
    parts: Tuple[str, ...] = PARTS
    systems: Tuple[str, ...] = SYSTEMS
    concurrencies: Tuple[int, ...] = (1, 10, 50)
    channels: Tuple[str, ...] = ("rest", "socketio")
    duration: float = 25.0  # seconds of load per (system, channel, concurrency)
    long_turns: int = 100
    long_repeats: int = 5  # the per-turn median needs more than 2 passes: one pass swings ±50%
    startup_repeats: int = 2
    scale_processes: Tuple[int, ...] = (1, 2)
    scale_concurrencies: Tuple[int, ...] = (10, 50)
    scale_channels: Tuple[str, ...] = ("rest", "socketio")
    scale_duration: float = 20.0
    turn_timeout: float = 30.0
    startup_timeout: float = 420.0
    max_conversations: int = 5000
    incremental_train: bool = True
    retrain: bool = True  # False: reuse bench/runs/models/*.tar.gz when their inputs match
    profile: bool = False
    ours_model: Optional[str] = None
    stock_model: Optional[str] = None
    scratch: bool = False  # True: results only in the run dir, bench/results.json untouched
    ours_endpoints: str = (
        "endpoints.yml"  # relative to the repo root (try variants with --ours-endpoints)
    )
    actions: bool = True  # False: no action server (development only)
    ours_workers: int = 2  # Rasa workers of ours, as `make run` starts them (RASA_WORKERS)

    @classmethod
    def quick_settings(cls) -> "Settings":
        return cls(
            quick=True,
            concurrencies=(1, 10),
            duration=8.0,
            long_turns=100,
            long_repeats=1,
            startup_repeats=1,
            scale_concurrencies=(10,),
            scale_channels=("rest",),
            scale_duration=8.0,
            incremental_train=False,
            retrain=False,
        )
