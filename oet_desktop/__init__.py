"""oet_desktop: offline OET Speaking practice with a local AI interlocutor.

Importing the package first switches off the telemetry of the libraries the app loads (ONNX Runtime, the Hugging
Face hub; see :mod:`oet_desktop.core.privacy`). The switches are read when those libraries load, and every entry
point (the ``oet-desktop`` script, ``python -m``, a PyInstaller bundle, the tests) imports this package before any
of them, so doing it here covers them all.
"""

from importlib.metadata import PackageNotFoundError, version

from oet_desktop.core.privacy import disable_telemetry

disable_telemetry()

try:
    __version__ = version("oet-desktop")
    """The one version: ``pyproject.toml``'s, as installed (a bundle carries the package metadata)."""
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
