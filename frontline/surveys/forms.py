from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from frontline.surveys.services import COMMENT_LIMIT


class CommentField(forms.CharField):
    """Free text with NUL characters dropped rather than the comment refused: they come from
    pasting, never mean anything, and PostgreSQL cannot store them."""

    def to_python(self, value: object) -> str:
        return str(super().to_python(value)).replace("\x00", "")


class AnswerForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How likely are you to recommend us to a friend or colleague?"),
        choices=[(str(n), str(n)) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a number from 0 to 10."),
            "invalid_choice": _("Choose a number from 0 to 10."),
        },
    )
    comment = CommentField(
        label=_("What is the main reason for your score? (optional)"),
        required=False,
        max_length=COMMENT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
