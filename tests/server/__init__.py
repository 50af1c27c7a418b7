"""Tests of the account server: a real PostgreSQL cluster and a local SMTP catcher."""
