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
    # SQLite reads its file through a memory map of up to this size (address space, not
    # memory: the pages are the OS's file cache, shared by every worker); 0 turns it off.
    SQLITE_MMAP_BYTES = 1 << 30
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
    # Each worker keeps public pages for anonymous visitors this long (0 turns it off; see
    # portal/pagecache.py), within this much memory, pages up to the entry size.
    PAGE_CACHE_SECONDS = 30
    PAGE_CACHE_MAX_BYTES = 32 * 1024 * 1024
    PAGE_CACHE_MAX_ENTRY_BYTES = 512 * 1024
    # Send `Server-Timing: app;dur=<ms>` (the benchmark measures server time with it).
    SERVER_TIMING = False
    # Map tiles: a URL template and its attribution; Tianditu needs a key in the URL.
    MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    MAP_TILE_ATTRIBUTION = "© OpenStreetMap contributors"
    # Coordinates on the pages link to this web map ({lat}, {lon}, {name}); None: Amap's
    # marker page with WGS84 coordinates (see urls.web_map_url). WeChat opens no geo: URI.
    MAP_LINK_URL: str | None = None
    # Default map view when an outfall has no coordinates: Qinzhou city centre.
    MAP_DEFAULT_CENTER = (21.98, 108.65)
    UPLOAD_DIR: str | None = None  # defaults to instance/uploads
    # Approval documents (PDF) larger than this are refused (outfalls.pdfcheck).
    APPROVAL_PDF_MAX_MB = 20
    # A monitoring CSV upload (outfalls.monitoring_entry): at most this big, this many rows.
    MONITORING_CSV_MAX_MB = 5
    MONITORING_CSV_MAX_ROWS = 5000
    PAGE_SIZE = 50
    # An outfall farther than this from every other outfall of its region is asked about
    # (a boundary case is confirmed, a typo is caught).
    REGISTRY_REGION_NEAR_M = 15_000
    # Rows per page of /manage/ (keyset pages by code).
    MANAGE_PAGE_SIZE = 50
    SEARCH_INDEX_DIR: str | None = None  # defaults to instance/search_index
    SEARCH_PAGE_SIZE = 20
    # Reports per page of the public record (/complaints/), newest first.
    RECORD_PAGE_SIZE = 25
    # Update the index after each commit that changes a searchable row.
    SEARCH_AUTO_INDEX = True
    # Bound, in seconds, within which a registry change (by any worker, node or the import)
    # reaches every worker's search index, page cache and map grid: each worker checks the
    # change sequence (ledger_entries) at most this often (0 turns the check off). See
    # portal/catchup.py.
    REGISTRY_CATCHUP_SECONDS = 30
    # Where originals of citizens' photos are kept as evidence; never served publicly.
    EVIDENCE_DIR: str | None = None  # defaults to instance/evidence
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Public writes per client IP (Flask-Limiter syntax).
    COMPLAINT_RATE_LIMIT = "5 per minute;30 per day"
    LOOKUP_RATE_LIMIT = "10 per minute;60 per day"
    SUPPORT_RATE_LIMIT = "10 per minute;100 per day"
    # The JSON API (/api/v1): requests per client address, and the max-age of its answers.
    API_RATE_LIMIT = "120 per minute;5000 per day"
    API_CACHE_SECONDS = 60
    # Nearby open complaints shown before submitting: same outfall or within this radius.
    NEARBY_RADIUS_M = 200
    NEARBY_DAYS = 30
    # A photo processed into a public copy and thumbnail (see complaints.photos).
    COMPLAINT_MAX_PHOTOS = 6
    COMPLAINT_PHOTO_MAX_BYTES = 10 * 1024 * 1024
    COMPLAINT_PHOTO_MAX_PIXELS = 40_000_000
    COMPLAINT_DESCRIPTION_MAX = 2000
    # Remediation evidence (portal/remediation): each PDF or photo at most this large.
    REMEDIATION_MAX_FILE_BYTES = 20 * 1024 * 1024
    # The rule a stormwater outfall's merge or ban is refused with, as the local plan words it.
    REMEDIATION_STORMWATER_RULE = (
        "钦政办〔2022〕28号（十一）：严禁合并、封堵城镇雨洪排口，保障汛期排水防涝安全"
    )
    # Transition periods ending within this many days are listed for supervision.
    REMEDIATION_TRANSITION_WARN_DAYS = 90
    # Photos are uploaded one by one while the form is filled in (complaints.staging) and
    # kept this long for the report that will claim them; each upload is a public write.
    COMPLAINT_STAGED_UPLOAD_HOURS = 24
    COMPLAINT_UPLOAD_RATE_LIMIT = "30 per minute;300 per day"
    # A photo's GPS farther than this from the linked outfall is asked about, not used.
    LOCATION_MISMATCH_M = 500
    # Outgoing mail (flask portal deliver): a local relay by default.
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None  # secret: instance/config.py or FLASK_MAIL_PASSWORD
    MAIL_USE_STARTTLS = False
    MAIL_USE_SSL = False
    MAIL_TIMEOUT = 10
    MAIL_FROM = "入河入海排污口信息公开平台 <noreply@example.invalid>"
    # "log" only logs (masked number, length); or "package.module:ClassName", built with config.
    SMS_BACKEND = "log"
    NOTIFY_LOCK_FILE: str | None = None  # defaults to instance/notify-deliver.lock
    # Staff sign-in.
    STAFF_IDLE_MINUTES = 30
    STAFF_MAX_FAILED_LOGINS = 5
    STAFF_LOCKOUT_MINUTES = 15
    LOGIN_RATE_LIMIT = "10 per minute"  # POSTs to /staff/login, /staff/totp, /staff/totp/setup
    STAFF_TOTP_ISSUER = "Qinzhou outfall portal"  # name shown in authenticator apps
    # Only a demo may create the published demo staff accounts; production keeps False.
    DEMO_MODE = False
    SESSION_COOKIE_SECURE = False  # set True behind HTTPS (instance/config.py)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Six photos of 10 MB and the form around them; anything bigger is refused unread.
    MAX_CONTENT_LENGTH = 62 * 1024 * 1024
    # Where to report a vulnerability (a mailto: or https: URI), published as
    # /.well-known/security.txt (RFC 9116); unset, that address answers 404.
    SECURITY_CONTACT: str | None = None
    # Open data (/data): the licence line of every dataset (None: CC BY 4.0 with attribution
    # to the portal, translated) and where it is explained.
    OPEN_DATA_LICENCE: str | None = None
    OPEN_DATA_LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
    # Email alerts (/alerts): subscription requests per client address, confirmation mails
    # per email address a day, and the least hours between two digests to one address.
    ALERTS_SUBSCRIBE_RATE_LIMIT = "5 per hour;20 per day"
    ALERTS_CONFIRMATIONS_PER_DAY = 3
    ALERTS_DIGEST_HOURS = 24
    # Inventory import (portal/imports): largest upload, most data rows, CRS when unstated.
    IMPORT_MAX_BYTES = 50 * 1024 * 1024
    IMPORT_MAX_ROWS = 200_000
    # Files this large are read by a reader process on another core (imports/reading.py):
    # about 12k rows of .csv, 30k of .xlsx; below, starting it costs more than it saves.
    IMPORT_READER_MIN_BYTES = 2 * 1024 * 1024
    # Uploads kept for their jobs (defaults to instance/imports); jobs run in a thread.
    IMPORT_DIR: str | None = None
    IMPORT_BACKGROUND = True
    # A running job silent this long is shown as interrupted (nothing of it was applied).
    IMPORT_STALE_SECONDS = 900
    # Behind a reverse proxy, trust this many X-Forwarded-For hops for client addresses.
    PROXY_FIX_HOPS = 0
