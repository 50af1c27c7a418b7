"""Role-play scenarios: the format (version 1), loading with precise validation, and the library."""
