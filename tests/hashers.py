from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class FastPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with one iteration, for tests only.

    The hash keeps the standard ``pbkdf2_sha256$<iterations>$...`` form, so a server process
    started by a test, running the production hasher list, still verifies these passwords.
    """

    iterations = 1
