"""Small custom widgets (level meter, charts, timer)."""
