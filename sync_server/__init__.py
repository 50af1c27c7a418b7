"""The optional account and sync server (FastAPI). Its API arrives with the accounts/sync issue; the
desktop app is complete without it."""
