"""Sentence embeddings for topic matching (facts asked about, task coverage)."""
