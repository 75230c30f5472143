"""The soak run (``make soak``): many customers for a long time on the real stack, then the
fuzz tests' long Hypothesis profile; see ``bench/soak/__main__.py`` and docs/testing.md."""
