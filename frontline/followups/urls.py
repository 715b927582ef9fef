from __future__ import annotations

from django.urls import path

from frontline.followups import api, views

app_name = "followups"

urlpatterns = [
    path("team/", views.team_board, name="team"),
    path("mine/<slug:section>/", views.my_section, name="mine"),
    path("bulk/", views.bulk_new, name="bulk"),
    path("bulk/<id:bulk_id>/", views.bulk_detail, name="bulk_detail"),
    path("bulk/<id:bulk_id>/undo/", views.bulk_undo, name="bulk_undo"),
    path("new/<id:customer_id>/", views.followup_new, name="new"),
    path("<id:followup_id>/", views.followup_detail, name="detail"),
    path("<id:followup_id>/complete/", views.followup_complete, name="complete"),
    path("<id:followup_id>/snooze/", views.followup_snooze, name="snooze"),
    path("<id:followup_id>/reassign/", views.followup_reassign, name="reassign"),
    path("<id:followup_id>/cancel/", views.followup_cancel, name="cancel"),
]

# Mounted under /api/followups/ by clienteling/urls.py, namespace "api:followups".
api_urlpatterns = [
    path("", api.FollowUpListView.as_view(), name="list"),
    path("my-day/", api.MyDayView.as_view(), name="my_day"),
    path("team/", api.TeamBoardView.as_view(), name="team"),
    path("bulk/preview/", api.BulkPreviewView.as_view(), name="bulk_preview"),
    path("bulk/", api.BulkAssignView.as_view(), name="bulk"),
    path("bulk/<id:bulk_id>/undo/", api.BulkUndoView.as_view(), name="bulk_undo"),
    path("<id:followup_id>/", api.FollowUpDetailView.as_view(), name="detail"),
    path("<id:followup_id>/complete/", api.CompleteView.as_view(), name="complete"),
    path("<id:followup_id>/snooze/", api.SnoozeView.as_view(), name="snooze"),
    path("<id:followup_id>/reassign/", api.ReassignView.as_view(), name="reassign"),
    path("<id:followup_id>/cancel/", api.CancelView.as_view(), name="cancel"),
]
