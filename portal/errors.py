"""Error pages: translated, never a stack trace."""

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    """Render 400/404/405/413/500 with the site's own templates."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        template = "errors/404.html" if error.code == 404 else "errors/error.html"
        return render_template(template, error=error), error.code

    @app.errorhandler(500)
    def _server_error(error):
        return render_template("errors/error.html", error=None), 500
