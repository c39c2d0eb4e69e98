"""Staff queue: routing, deadlines and the workflow of a case."""
