from __future__ import annotations

from django.urls import path

from frontline.customers import views

app_name = "customers"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("new/", views.customer_new, name="new"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<id:candidate_id>/", views.duplicate_review, name="duplicate_review"),
    path(
        "duplicates/<id:candidate_id>/dismiss/", views.duplicate_dismiss, name="duplicate_dismiss"
    ),
    path("merges/<id:merge_id>/undo/", views.merge_undo, name="merge_undo"),
    path("<id:customer_id>/", views.profile, name="profile"),
    path("<id:customer_id>/timeline/", views.timeline, name="timeline"),
    path("<id:customer_id>/check-in/", views.check_in, name="check_in"),
    path("<id:customer_id>/panels/", views.panels, name="panels"),
    path("<id:customer_id>/panels/<slug:key>/", views.panel, name="panel"),
    path("<id:customer_id>/notes/", views.note_add, name="note_add"),
    path("<id:customer_id>/notes/<id:note_id>/edit/", views.note_edit, name="note_edit"),
    path("<id:customer_id>/notes/<id:note_id>/pin/", views.note_pin, name="note_pin"),
    path("<id:customer_id>/wishlist/", views.wishlist_add, name="wishlist_add"),
    path(
        "<id:customer_id>/wishlist/<id:item_id>/remove/",
        views.wishlist_remove,
        name="wishlist_remove",
    ),
    path("<id:customer_id>/sizes/", views.size_set, name="size_set"),
    path("<id:customer_id>/preferences/", views.preference_add, name="preference_add"),
    path(
        "<id:customer_id>/preferences/<id:preference_id>/remove/",
        views.preference_remove,
        name="preference_remove",
    ),
    path("<id:customer_id>/dates/", views.dates_set, name="dates_set"),
]
