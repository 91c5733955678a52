"""Domain rules in plain Python: no web framework, database, Redis or media imports."""
