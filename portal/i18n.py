"""Languages, the locale selector, and the language switch."""

from datetime import UTC

import flask_babel
from flask import Blueprint, Flask, current_app, has_request_context, redirect, request, url_for
from flask_babel import get_locale as babel_locale

from .security import checks_its_own_query
from .urls import safe_next

# Code -> (native name, text direction). Adding Uyghur later is one row and a catalogue.
LANGUAGES: dict[str, tuple[str, str]] = {
    "zh": ("简体中文", "ltr"),
    "en": ("English", "ltr"),
}
LANG_COOKIE = "lang"

bp = Blueprint("i18n", __name__)


def choose_locale(chosen: str | None, accept, default: str) -> str:
    """The chosen language (cookie) if offered, else the browser's best, else the default."""
    if chosen in LANGUAGES:
        return chosen
    return accept.best_match(LANGUAGES.keys()) or default


def get_locale() -> str:
    """The user's chosen language (cookie), else the browser's, else Chinese (also outside
    a request: commands and services speak the default unless they force a locale)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return choose_locale(
        request.cookies.get(LANG_COOKIE),
        request.accept_languages,
        current_app.config["BABEL_DEFAULT_LOCALE"],
    )


@bp.get("/lang/<code>")
@checks_its_own_query  # a broken ?next= leads home, it is no reason to refuse the switch
def set_language(code: str):
    """Remember a language choice and go back where the user was."""
    # Only local paths: never an open redirect, never a broken header.
    target = safe_next(request.args.get("next")) or url_for("outfalls.home")
    response = redirect(target)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def localname(obj) -> str:
    """An object's English name when showing English and it has one, else its name."""
    if getattr(obj, "name_en", "") and str(babel_locale() or "zh")[:2] != "zh":
        return obj.name_en
    return obj.name


def datetime_attr(moment) -> str:
    """A moment as a valid HTML `datetime` attribute: UTC, whole seconds, "Z"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def init_app(app: Flask) -> None:
    """Expose the language list, text direction, `localname` and `datetime_attr` to templates."""
    app.add_template_filter(localname)
    app.add_template_filter(datetime_attr)
    app.jinja_env.globals.update(
        format_date=flask_babel.format_date,
        format_datetime=flask_babel.format_datetime,
        format_decimal=flask_babel.format_decimal,
        format_percent=flask_babel.format_percent,
    )

    @app.context_processor
    def _language_context():
        code = str(babel_locale() or "zh")
        lang = code.split("_")[0]
        return {
            "languages": LANGUAGES,
            "current_lang": lang,
            "text_dir": LANGUAGES.get(lang, ("", "ltr"))[1],
            "html_lang": "zh-Hans" if lang == "zh" else lang,
        }
