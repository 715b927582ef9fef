from __future__ import annotations

from django.urls import path

from frontline.customers import api

app_name = "customers"

# Ids are taken as text and checked by the views, so that a malformed id is a JSON 404.
urlpatterns = [
    path("", api.CustomerSearchApi.as_view(), name="search"),
    path("<str:customer_id>/", api.CustomerProfileApi.as_view(), name="profile"),
    path("<str:customer_id>/timeline/", api.CustomerTimelineApi.as_view(), name="timeline"),
    path("<str:customer_id>/check-in/", api.CustomerCheckInApi.as_view(), name="check_in"),
    path("<str:customer_id>/notes/", api.CustomerNotesApi.as_view(), name="notes"),
    path("<str:customer_id>/notes/<str:note_id>/", api.CustomerNoteApi.as_view(), name="note"),
]
