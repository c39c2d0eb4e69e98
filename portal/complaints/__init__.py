"""Citizen complaints: intake, photos and public tracking."""
