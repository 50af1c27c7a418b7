"""The optional account server: accounts with two-factor sign-in, devices, GDPR export and erasure (FastAPI,
SQLAlchemy 2, Alembic). The desktop app is complete without it and never imports it."""

__version__ = "0.1.0"
