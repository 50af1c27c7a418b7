"""Errors a user can meet, each phrased as one paragraph: what is wrong, and how to fix it."""

from __future__ import annotations


class UserFacingError(Exception):
    """An error the app reports as a short paragraph instead of a traceback.

    ``problem`` says what is wrong (naming the file, model or device); ``fix`` says what to do.
    """

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem} {fix}")
        self.problem = problem
        self.fix = fix

    def paragraph(self) -> str:
        """The message shown to the user."""
        return f"{self.problem.rstrip()} {self.fix.rstrip()}"


class ModelMissingError(UserFacingError):
    """A model from the catalogue is not on disk."""


class ModelCorruptError(UserFacingError):
    """A model file is on disk but its SHA-256 does not match the catalogue."""


class UnknownModelError(UserFacingError):
    """A model id that the catalogue does not list."""


class CatalogError(UserFacingError):
    """The model catalogue file itself is malformed."""


class AudioFileError(UserFacingError):
    """An audio file that cannot be read or written."""


class AudioDeviceError(UserFacingError):
    """No usable microphone or speaker, or the device failed."""


class EngineError(UserFacingError):
    """An engine (speech, language model, voice) failed to load or run."""
