"""An empty package reserved for an account and sync server: it holds no code, and the desktop app neither
imports nor needs it."""
