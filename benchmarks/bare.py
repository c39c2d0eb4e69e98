"""The bare Flask endpoint every figure is a ratio to: one route, one small HTML page."""

from flask import Flask

PAGE = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>bare</title></head>"
    "<body><p>Bare Flask endpoint for the benchmark baseline.</p></body></html>"
)

app = Flask(__name__)


@app.get("/")
def index():
    """The baseline page: no database, no templates, no extensions."""
    return PAGE
