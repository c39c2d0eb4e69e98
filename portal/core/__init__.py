"""Framework-free helpers: time, codes, working days."""
