"""API token authentication: DRF's check, without building its query on every request.

Every API request is authenticated before anything else runs, so this lookup is paid by all
of them. Building and compiling ``Token.objects.select_related("user").get(key=...)`` costs the
ORM several times what PostgreSQL takes to answer it; here the SQL is compiled once per
process and the user is built from the row with ``Model.from_db``. The answers are DRF's
own: the same errors for an unknown key and for an inactive user, checked on every request
(nothing is cached, so a revoked token stops working at once).
"""

from __future__ import annotations

import functools

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from frontline.staff.models import User

_KEY_STAND_IN = "stand-in for the token key"


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        sql, fields = _user_by_token_key()
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = User.from_db(connection.alias, fields, row)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, Token(key=key, user=user)


@functools.cache
def _user_by_token_key() -> tuple[str, list[str]]:
    """The SELECT of the user whose token has the key, and the user's fields in its order."""
    sql, params = User.objects.filter(auth_token__key=_KEY_STAND_IN).query.sql_with_params()
    if list(params) != [_KEY_STAND_IN]:
        raise ValueError(f"unexpected parameters in the token lookup: {params}")
    return sql, [field.attname for field in User._meta.concrete_fields]
