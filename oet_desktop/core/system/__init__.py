"""Facts about this machine, and the doctor self-check."""
