"""Seba: a customer-service assistant for online shops in Bangladesh."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
