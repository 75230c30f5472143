"""Content staff's tools: the training data, answers and checks, and who changed what."""
