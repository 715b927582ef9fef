from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from frontline.customers.models import ConsentPurpose
from frontline.outreach.models import Channel


class ComposeForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices)
    purpose = forms.ChoiceField(choices=ConsentPurpose.choices, initial=ConsentPurpose.SERVICE)
    template = forms.SlugField(required=False, max_length=40)
    subject = forms.CharField(required=False, max_length=200)
    # The rules give the real limit per channel, with a message saying it; this bound only
    # keeps an absurd post from being processed at all.
    body = forms.CharField(required=False, max_length=20_000, strip=False)
    send_at = forms.DateTimeField(
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=_("In your store's time zone; empty: send now."),
    )
    # What the message is written for: sending records its outcome there.
    followup = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    suggestion = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class CampaignForm(forms.Form):
    store = forms.IntegerField(min_value=1)
    name = forms.CharField(max_length=120)
    # WhatsApp needs each customer's window or an approved template: not for campaigns.
    channel = forms.ChoiceField(choices=[(Channel.EMAIL, "E-mail"), (Channel.SMS, "SMS")])
    purpose = forms.ChoiceField(choices=ConsentPurpose.choices, initial=ConsentPurpose.MARKETING)
    template = forms.SlugField(required=False, max_length=40)
    subject = forms.CharField(required=False, max_length=200)
    body = forms.CharField(required=False, max_length=4000, strip=False)
    send_at = forms.DateTimeField(
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
