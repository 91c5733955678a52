"""Account input rules: e-mail, password and display-name checks."""

from __future__ import annotations

import re
import unicodedata

from server.domain.errors import ValidationError

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{2,63}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256
MAX_DISPLAY_NAME = 40


def check_email(email: object) -> str:
    if not isinstance(email, str) or not EMAIL.match(email.strip()):
        raise ValidationError("email is not a valid address", code="bad_email")
    return email.strip().lower()


def check_password(password: object) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(
            f"password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters", code="bad_password"
        )
    return password


def check_display_name(name: object) -> str:
    """Printable, trimmed, 1-40 characters: names are shown beside every chat line."""
    if not isinstance(name, str):
        raise ValidationError("display_name must be a string", code="bad_display_name")
    name = " ".join(unicodedata.normalize("NFC", name).split())
    if not 1 <= len(name) <= MAX_DISPLAY_NAME or not all(_printable(c) for c in name):
        raise ValidationError(
            f"display_name must be 1-{MAX_DISPLAY_NAME} printable characters",
            code="bad_display_name",
        )
    return name


def _printable(char: str) -> bool:
    return unicodedata.category(char)[0] != "C"
