"""Departments, and later their staff and routing rules."""
