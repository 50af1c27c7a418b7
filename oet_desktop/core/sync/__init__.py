"""Sync with an account server: the wire format, the HTTP client, end-to-end sealing of practice details, and the
engine that pushes the outbox and pulls and merges other computers' changes (protocol in docs/sync.md)."""
