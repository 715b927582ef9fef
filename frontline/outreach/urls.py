from __future__ import annotations

from django.urls import path

from frontline.outreach import api, views, webhooks

app_name = "outreach"

urlpatterns = [
    path("customers/<id:customer_id>/compose/", views.compose, name="compose"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<id:campaign_id>/", views.campaign_detail, name="campaign"),
    path(
        "campaigns/<id:campaign_id>/launch/",
        views.campaign_launch,
        name="campaign_launch",
    ),
    # Signed by the provider or the mail relay, not signed in.
    path("hooks/twilio/inbound/", webhooks.twilio_inbound, name="twilio_inbound"),
    path("hooks/twilio/status/", webhooks.twilio_status, name="twilio_status"),
    path("hooks/email/inbound/", webhooks.email_inbound, name="email_inbound"),
]

# Mounted under /api/outreach/ by clienteling/urls.py, namespace "api:outreach".
api_urlpatterns = [
    path(
        "customers/<id:customer_id>/messages/",
        api.CustomerMessagesView.as_view(),
        name="messages",
    ),
    path(
        "customers/<id:customer_id>/messages/preview/",
        api.PreviewView.as_view(),
        name="preview",
    ),
    path("customers/<id:customer_id>/channels/", api.ChannelsView.as_view(), name="channels"),
    path("messages/<id:message_id>/", api.MessageDetailView.as_view(), name="message"),
    path("messages/<id:message_id>/cancel/", api.MessageCancelView.as_view(), name="cancel"),
    path("templates/", api.TemplatesView.as_view(), name="templates"),
]
