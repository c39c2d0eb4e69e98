"""Notifications: a transactional outbox, delivered by `flask portal deliver`."""
