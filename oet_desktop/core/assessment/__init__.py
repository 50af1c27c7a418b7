"""Feedback on the nine OET Speaking criteria: measures from a session, rule-based scores with evidence, an
estimate on the 0–500 scale, a narrative, and progress over many sessions."""
