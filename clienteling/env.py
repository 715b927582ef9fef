"""Strict reading of settings from the environment.

Every helper raises ``ImproperlyConfigured`` naming the variable when its value cannot be
parsed, so a typo in a deployment fails at start-up rather than at the first request.
"""

from __future__ import annotations

import os
from typing import overload

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class MissingSetting(ImproperlyConfigured):
    """A value that production cannot do without was not given."""


class WeakSecret(ImproperlyConfigured):
    """A secret that is known (a development default) or too easy to guess."""


# Django's own deployment check asks for at least this much of a SECRET_KEY.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_DISTINCT = 5


def check_secret_key(value: str, *, development_default: str) -> None:
    """Refuse to start in production with the development key or a short, repetitive one."""
    if value == development_default or value.startswith("django-insecure"):
        raise WeakSecret("SECRET_KEY is the development default; set a secret of your own.")
    if len(value) < SECRET_KEY_MIN_LENGTH or len(set(value)) < SECRET_KEY_MIN_DISTINCT:
        raise WeakSecret(
            f"SECRET_KEY must be at least {SECRET_KEY_MIN_LENGTH} characters with "
            f"{SECRET_KEY_MIN_DISTINCT} different ones, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )


@overload
def get_str(name: str, default: str, *, required: bool = False) -> str: ...
@overload
def get_str(name: str, default: None = None, *, required: bool = False) -> str | None: ...
def get_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        if required:
            raise MissingSetting(
                f"The environment variable {name} is required when DEBUG is off. "
                f"Set it before starting Frontline."
            )
        return default
    return value.strip()


def get_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def get_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    return value


def get_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def get_priorities(name: str) -> dict[str, list[str]]:
    """``field=source,source;field=source`` as ``{field: [source, …]}``, best source first."""
    raw = os.environ.get(name, "").strip()
    priorities: dict[str, list[str]] = {}
    for part in filter(None, (chunk.strip() for chunk in raw.split(";"))):
        field, equals, sources = part.partition("=")
        ranked = [source.strip() for source in sources.split(",") if source.strip()]
        if not equals or not field.strip() or not ranked:
            raise ImproperlyConfigured(
                f"{name}: {part!r} is not field=source,source (e.g. phone=pos,crm,ecommerce)."
            )
        priorities[field.strip()] = ranked
    return priorities
