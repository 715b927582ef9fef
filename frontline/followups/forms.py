"""Forms that parse what the pages post; the services decide what is allowed."""

from __future__ import annotations

from django import forms

from frontline.customers.models import InteractionChannel
from frontline.followups.models import Outcome, Priority, Reason


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices)
    channel = forms.ChoiceField(choices=InteractionChannel.choices, initial="phone")
    note = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)


class SnoozeForm(forms.Form):
    until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=200)


class ReassignForm(forms.Form):
    assignee = forms.IntegerField()


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False)


class PlanForm(forms.Form):
    """What a follow-up is for and when: shared by one follow-up and a bulk assignment."""

    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(choices=Reason.choices)
    reason_text = forms.CharField(max_length=200, required=False)
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, initial=Priority.NORMAL)


class CreateForm(PlanForm):
    assignee = forms.IntegerField()
