"""Text-to-speech: the interlocutor's voice."""
