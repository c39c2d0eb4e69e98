"""Connect the queue to the complaint signals (complaints never import the queue) and to the
session (the monthly figures)."""

from flask import Flask

from ..complaints.signals import complaint_reopened, complaint_submitted, information_added
from . import rollup
from .actions import on_information_added, on_reopened
from .placement import route


def _on_submitted(complaint, now):
    route(complaint, now)


def _on_information_added(complaint, now, resumed):
    on_information_added(complaint, now, resumed)


def _on_reopened(complaint, now):
    on_reopened(complaint, now)


def init_app(app: Flask) -> None:
    """Connect once per process; blinker ignores a second connection of the same receiver."""
    complaint_submitted.connect(_on_submitted, weak=False)
    information_added.connect(_on_information_added, weak=False)
    complaint_reopened.connect(_on_reopened, weak=False)
    # The departments' monthly figures follow every change of a case (session events).
    rollup.init_app(app)
