"""The HTTP API: one router per area, assembled in ``api.main``."""
