"""Speech: voice activity detection and speech-to-text."""
