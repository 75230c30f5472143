"""Content staff's tools: checks, retraining behind a gate, the live model and its history."""
