"""The PySide6 desktop window: its pages and widgets show state and forward the user's intent to the Qt-free
services in ``oet_desktop.core``; ``launch`` builds the application and ``tasks`` runs work off the UI thread."""
