"""Default configuration: safe values, paths, no secrets."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "dev-not-secret"


class DefaultConfig:
    """Settings every deployment starts from; override in instance/config.py or FLASK_* env."""

    SECRET_KEY = DEV_SECRET_KEY
    # Embedded default: a SQLite file in instance/; PostgreSQL via FLASK_SQLALCHEMY_DATABASE_URI
    # or DATABASE_URL (see create_app).
    SQLALCHEMY_DATABASE_URI = "sqlite:///portal.sqlite"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    # Absolute base URL printed into QR codes and signboards, e.g. "https://pwk.example.gov.cn".
    # When unset, the URL of the current request is used.
    PUBLIC_BASE_URL: str | None = None
    # Environment hotline printed on every page and signboard.
    HOTLINE = "12369"
    # Public pages are cacheable by browsers and a CDN for this many seconds.
    PUBLIC_CACHE_SECONDS = 300
    # Map tiles: a URL template and its attribution; Tianditu needs a key in the URL.
    MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    MAP_TILE_ATTRIBUTION = "© OpenStreetMap contributors"
    # Default map view when an outfall has no coordinates: Qinzhou city centre.
    MAP_DEFAULT_CENTER = (21.98, 108.65)
    UPLOAD_DIR: str | None = None  # defaults to instance/uploads
    PAGE_SIZE = 50
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
