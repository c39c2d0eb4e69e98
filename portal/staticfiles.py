"""Static files under content-hashed names, precompressed, cached for a year.

On a weak signal every revalidation costs a round trip of seconds. `build` copies
`static/` into a build folder where each file also exists as `name.<hash>.ext` (CSS
`url()`s point at hashed names too), writes gzip and brotli copies of text files, and a
manifest; `url_for('static', …)` then emits the hashed name, and WhiteNoise serves the
folder in front of the app: hashed names with `Cache-Control: max-age=315360000,
immutable`, the plain names (Leaflet builds some itself) for an hour, each in the
encoding the browser accepts.

The app builds at start when the manifest is missing or `static/` changed since (a
fingerprint of names, sizes and times): `make run`, `make test`, gunicorn and a fresh
clone need no extra step. `flask portal build-static` does the same on purpose.
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

from flask import Flask

MANIFEST = "manifest.json"
# Text worth compressing; fonts are used by the signboard PDF only, images are compressed.
COMPRESS = (".js", ".css", ".svg", ".json", ".txt", ".html", ".map", ".xml")
HASH_LENGTH = 12
_HASHED = re.compile(r"\.[0-9a-f]{" + str(HASH_LENGTH) + r"}\.[A-Za-z0-9]+$")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")#?]+)([^'\")]*)\1\s*\)")
KEEP_BUILDS = 3


def fingerprint(source: Path) -> str:
    """What the build depends on: every file's path, size and modification time."""
    digest = hashlib.sha256()
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(source)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def hashed_name(relative: str, data: bytes) -> str:
    """`css/portal.css` → `css/portal.<12 hex of its SHA-256>.css`."""
    stem, dot, ext = relative.rpartition(".")
    if not dot or "/" in ext:
        stem, ext = relative, ""
    tag = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    return f"{stem}.{tag}.{ext}" if ext else f"{stem}.{tag}"


def is_hashed(url: str) -> bool:
    """Whether a static URL names a content-hashed file (safe to cache forever)."""
    return bool(_HASHED.search(url))


def _rewrite_css(text: str, relative: str, names: dict[str, str]) -> str:
    """Point a stylesheet's relative url()s at the hashed names of the files they name."""
    folder = os.path.dirname(relative)

    def replace(match: re.Match) -> str:
        quote, target, suffix = match.groups()
        if target.startswith(("/", "data:", "http:", "https:")):
            return match.group(0)
        resolved = os.path.normpath(os.path.join(folder, target)).replace(os.sep, "/")
        if resolved not in names:
            return match.group(0)
        new = os.path.relpath(names[resolved], folder or ".").replace(os.sep, "/")
        return f"url({quote}{new}{suffix}{quote})"

    return _CSS_URL.sub(replace, text)


def _place(source_file: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source_file, target)  # the same bytes: no copy of a 10 MB font
    except OSError:
        shutil.copy2(source_file, target)


def build(source: Path, out: Path) -> dict[str, str]:
    """Write `source` into `out` with hashed copies and compressed variants; the manifest
    maps each relative name to its hashed name."""
    from whitenoise.compress import Compressor

    out.mkdir(parents=True)
    files = sorted(
        p.relative_to(source).as_posix()
        for p in source.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )
    names: dict[str, str] = {}
    # Stylesheets last: their url()s name the hashed files that come before them.
    for relative in sorted(files, key=lambda r: r.endswith(".css")):
        src = source / relative
        _place(src, out / relative)
        if relative.endswith(".css"):
            data = _rewrite_css(src.read_text("utf-8"), relative, names).encode("utf-8")
            names[relative] = hashed_name(relative, data)
            (out / names[relative]).write_bytes(data)
        else:
            names[relative] = hashed_name(relative, src.read_bytes())
            _place(src, out / names[relative])
    compressor = Compressor(quiet=True)
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.suffix in COMPRESS:
            compressor.compress(str(path))
    return names


def ensure_built(source: Path, root: Path) -> tuple[Path, dict[str, str]]:
    """The current build (its folder and manifest), building it first if `source` changed.

    Several processes may start at once (gunicorn workers, parallel tests): a lock file
    lets one build while the others wait, and each build has its own folder, so a worker
    still serving an older one keeps its files (the last few builds are kept).
    """
    root.mkdir(parents=True, exist_ok=True)
    want = fingerprint(source)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest_path = root / MANIFEST
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError):
            manifest = {}
        folder = root / want[:16]
        if manifest.get("fingerprint") != want or not folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            names = build(source, folder)
            manifest = {"fingerprint": want, "folder": folder.name, "files": names}
            tmp = root / f".{MANIFEST}.tmp"
            tmp.write_text(json.dumps(manifest, indent=0, sort_keys=True))
            os.replace(tmp, manifest_path)
            _prune(root, keep=folder.name)
    return root / manifest["folder"], manifest["files"]


def _prune(root: Path, keep: str) -> None:
    """Remove all but the newest KEEP_BUILDS build folders."""
    builds = sorted(
        (p for p in root.iterdir() if p.is_dir() and p.name != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in builds[KEEP_BUILDS - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def init_app(app: Flask) -> None:
    """Hashed names in url_for('static', …); WhiteNoise serves the build in front of the app."""
    from whitenoise import WhiteNoise

    root = Path(app.config.get("STATIC_BUILD_DIR") or Path(app.instance_path) / "static-build")
    folder, names = ensure_built(Path(app.static_folder), root)
    app.extensions["static_manifest"] = names

    @app.url_defaults
    def _hashed_static(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = names.get(values["filename"], values["filename"])

    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(folder),
        prefix=app.static_url_path,
        max_age=app.config.get("STATIC_MAX_AGE", 3600),
        immutable_file_test=lambda _path, url: is_hashed(url),
    )
