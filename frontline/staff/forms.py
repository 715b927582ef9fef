from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm


class StaffLoginForm(AuthenticationForm):
    """The login form, with the attributes a tablet keyboard and password manager need."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].widget.attrs.update(
            {"autocapitalize": "none", "autocomplete": "username", "spellcheck": "false"}
        )
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
