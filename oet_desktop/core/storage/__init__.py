"""The encrypted local profile store: one SQLCipher database per profile, its key in the OS keyring or from a
passphrase, versioned migrations, and a repository API run on one storage thread."""
