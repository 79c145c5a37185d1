"""Settings of the e-mail digest (``web.digest``): the SMTP server, the sender, links, due dates.

They follow the rules of every other Touchpoint setting (``checker/settings.py``): each has a
default here and is overridden by the environment variable ``TOUCHPOINT_<NAME IN CAPITALS>``
(``TOUCHPOINT_SMTP_HOST=mail.hospital.org``); a value that does not parse, is out of range, or
leaves an enabled digest unable to work raises :class:`SettingsError` naming the variable when
the app starts, never later. The digest is off until ``TOUCHPOINT_DIGEST_ENABLED=true``.
"""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

# the parsers every setting uses: the same words mean true and false everywhere
from checker.settings import SettingsError, check_ranges, environment_values, variable_name

# what the app accepts as an e-mail address: ASCII name@domain.tld, nothing a header could smuggle
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"
                           r"@(?=.{4,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
EMAIL_MAX = 254


def is_email_address(value: str) -> bool:
    """True for one plain address (``name@hospital.org``), at most :data:`EMAIL_MAX` characters."""
    return len(value) <= EMAIL_MAX and EMAIL_PATTERN.fullmatch(value) is not None


@dataclass(frozen=True)
class DigestSettings:
    """The digest's settings, with their defaults. Build one with :func:`load_digest_settings`."""

    digest_enabled: bool = False
    # assigned findings due within this many days (or overdue) get their own section
    digest_due_soon_days: int = 3
    # a user who had a digest less than this long ago gets none: a re-run or a catch-up timer sends nothing twice
    digest_interval_hours: int = 20
    # where users open the app, for the links in the e-mail: https://touchpoint.hospital.org (a path prefix works)
    base_url: str = ""
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    # upgrade the connection with STARTTLS (and refuse to send if the server cannot)
    smtp_starttls: bool = False
    smtp_timeout_seconds: int = 30
    # the From address of the digest: touchpoint@hospital.org
    mail_from: str = ""

    def replace(self, **changes: Any) -> "DigestSettings":
        """A copy with some values changed, validated like the originals."""
        updated = dataclasses.replace(self, **changes)
        _validate(updated)
        return updated


_RANGES: dict[str, tuple[int, int]] = {
    "digest_due_soon_days": (0, 365),
    "digest_interval_hours": (0, 31 * 24),
    "smtp_port": (1, 65535),
    "smtp_timeout_seconds": (1, 600),
}


def _validate(settings: DigestSettings) -> None:
    check_ranges(settings, _RANGES)
    if settings.base_url:
        parts = urlsplit(settings.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise SettingsError(f"{variable_name('base_url')}={settings.base_url!r}: expected an address like "
                                "https://touchpoint.hospital.org (no query or fragment)")
    if settings.mail_from and not is_email_address(settings.mail_from):
        raise SettingsError(f"{variable_name('mail_from')}={settings.mail_from!r} is not an e-mail address")
    if bool(settings.smtp_username) != bool(settings.smtp_password):
        raise SettingsError(f"{variable_name('smtp_username')} and {variable_name('smtp_password')} go together: "
                            "set both to log in to the SMTP server, or neither")
    if settings.digest_enabled:
        for name in ("base_url", "mail_from", "smtp_host"):
            if not getattr(settings, name):
                raise SettingsError(f"{variable_name(name)} must be set when {variable_name('digest_enabled')} is on")


def load_digest_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> DigestSettings:
    """Defaults, then ``TOUCHPOINT_*`` environment variables, then keyword overrides; validated."""
    values = environment_values(DigestSettings, os.environ if environ is None else environ)
    settings = DigestSettings(**{**values, **overrides})
    _validate(settings)
    return settings
