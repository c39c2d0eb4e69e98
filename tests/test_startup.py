"""The portal refuses to start in production with settings only a developer may use."""

import pytest

from portal import create_app
from tests.support import make_config

GOOD_KEY = "k" * 32


def _production(tmp_path, **overrides):
    config = make_config(tmp_path, TESTING=False, SECRET_KEY=GOOD_KEY)
    config.update(overrides)
    return create_app(config)


@pytest.mark.parametrize("key", ["", "dev-not-secret", "short-but-not-empty", "x" * 31])
def test_refuses_to_start_with_an_empty_short_or_default_secret_key(tmp_path, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        _production(tmp_path, SECRET_KEY=key)


@pytest.mark.parametrize("base", [None, "", "pwk.example.gov.cn", "ftp://x.example", "https://"])
def test_refuses_to_start_without_an_absolute_public_base_url(tmp_path, base):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        _production(tmp_path, PUBLIC_BASE_URL=base)


def test_starts_with_a_long_key_and_a_public_base_url(tmp_path):
    app = _production(tmp_path, PUBLIC_BASE_URL="https://pwk.example.gov.cn")
    assert not app.testing


def test_debug_and_tests_may_use_the_development_defaults(tmp_path):
    assert create_app(make_config(tmp_path, SECRET_KEY="dev-not-secret", PUBLIC_BASE_URL=None))
