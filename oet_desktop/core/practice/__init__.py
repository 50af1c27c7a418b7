"""The practice session: timing, the interlocutor (director + realiser), turn-taking and the record."""
