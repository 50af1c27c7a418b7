"""oet_desktop: offline OET Speaking practice with a local AI interlocutor."""

__version__ = "0.1.0"
