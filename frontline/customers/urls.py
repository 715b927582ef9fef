from __future__ import annotations

from django.urls import path

from frontline.customers import views

app_name = "customers"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("new/", views.customer_new, name="new"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<int:candidate_id>/", views.duplicate_review, name="duplicate_review"),
    path(
        "duplicates/<int:candidate_id>/dismiss/", views.duplicate_dismiss, name="duplicate_dismiss"
    ),
    path("merges/<int:merge_id>/undo/", views.merge_undo, name="merge_undo"),
    path("<int:customer_id>/", views.profile, name="profile"),
    path("<int:customer_id>/timeline/", views.timeline, name="timeline"),
    path("<int:customer_id>/check-in/", views.check_in, name="check_in"),
    path("<int:customer_id>/panels/<slug:key>/", views.panel, name="panel"),
    path("<int:customer_id>/notes/", views.note_add, name="note_add"),
    path("<int:customer_id>/notes/<int:note_id>/edit/", views.note_edit, name="note_edit"),
    path("<int:customer_id>/notes/<int:note_id>/pin/", views.note_pin, name="note_pin"),
    path("<int:customer_id>/wishlist/", views.wishlist_add, name="wishlist_add"),
    path(
        "<int:customer_id>/wishlist/<int:item_id>/remove/",
        views.wishlist_remove,
        name="wishlist_remove",
    ),
    path("<int:customer_id>/sizes/", views.size_set, name="size_set"),
    path("<int:customer_id>/preferences/", views.preference_add, name="preference_add"),
    path(
        "<int:customer_id>/preferences/<int:preference_id>/remove/",
        views.preference_remove,
        name="preference_remove",
    ),
    path("<int:customer_id>/dates/", views.dates_set, name="dates_set"),
]
