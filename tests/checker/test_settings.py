"""Settings: defaults, environment overrides, and bad values that name their variable."""
from __future__ import annotations

import pytest

from checker.settings import Settings, SettingsError, load_settings


def settings_from(**variables: str) -> Settings:
    return load_settings(environ={f"TOUCHPOINT_{name.upper()}": value for name, value in variables.items()})


def test_defaults_apply_when_no_variable_is_set():
    settings = load_settings(environ={})
    assert (settings.top_k, settings.min_score, settings.device) == (6, 0.5, "cpu")
    assert settings.model_name == "all-MiniLM-L6-v2"


def test_an_environment_variable_overrides_its_default():
    settings = settings_from(top_k="8", min_score="0.7", cache_dir="/tmp/somewhere")
    assert (settings.top_k, settings.min_score, settings.cache_dir) == (8, 0.7, "/tmp/somewhere")


def test_the_process_environment_is_read_when_none_is_given(monkeypatch):
    monkeypatch.setenv("TOUCHPOINT_TOP_K", "9")
    assert load_settings().top_k == 9


def test_keyword_overrides_win_over_the_environment():
    assert load_settings(environ={"TOUCHPOINT_TOP_K": "8"}, top_k=3).top_k == 3


def test_a_boolean_variable_accepts_yes_and_no():
    assert settings_from(session_cookie_secure="yes").session_cookie_secure is True
    assert settings_from(session_cookie_secure="off").session_cookie_secure is False


@pytest.mark.parametrize("name, value", [
    ("top_k", "abc"),
    ("top_k", "0"),
    ("min_score", "2"),
    ("min_score", "high"),
    ("session_cookie_secure", "maybe"),
    ("device", "tpu"),
])
def test_a_bad_value_raises_a_settings_error_naming_the_variable(name, value):
    with pytest.raises(SettingsError, match=f"TOUCHPOINT_{name.upper()}"):
        settings_from(**{name: value})


def test_replace_validates_the_new_value():
    with pytest.raises(SettingsError, match="TOUCHPOINT_MIN_SCORE"):
        load_settings(environ={}).replace(min_score=1.5)


def test_the_fingerprint_changes_with_an_alignment_setting_but_not_with_the_cache_folder():
    base = load_settings(environ={})
    assert base.replace(top_k=7).fingerprint() != base.fingerprint()
    assert base.replace(cache_dir="/elsewhere").fingerprint() == base.fingerprint()
