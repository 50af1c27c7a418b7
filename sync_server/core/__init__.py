"""The server's foundations: configuration, database, security, mail, rate limits and observability."""
