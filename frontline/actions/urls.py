from __future__ import annotations

from django.urls import path

from frontline.actions import api, views

app_name = "actions"

urlpatterns = [
    path(
        "customer/<id:customer_id>/panel/",
        views.customer_actions_panel,
        name="customer_panel",
    ),
    path(
        "customer/<id:customer_id>/recommendations/",
        views.customer_recommendations_panel,
        name="customer_recommendations",
    ),
    path("<id:suggestion_id>/accept/", views.suggestion_accept, name="accept"),
    path("<id:suggestion_id>/snooze/", views.suggestion_snooze, name="snooze"),
    path("<id:suggestion_id>/dismiss/", views.suggestion_dismiss, name="dismiss"),
    path("performance/", views.rule_performance_page, name="performance"),
]

# Mounted under /api/actions/ by clienteling/urls.py, namespace "api:actions".
api_urlpatterns = [
    path("customers/<id:customer_id>/", api.CustomerActionsView.as_view(), name="customer"),
    path(
        "customers/<id:customer_id>/recommendations/",
        api.CustomerRecommendationsView.as_view(),
        name="recommendations",
    ),
    path("<id:suggestion_id>/accept/", api.AcceptView.as_view(), name="accept"),
    path("<id:suggestion_id>/snooze/", api.SnoozeView.as_view(), name="snooze"),
    path("<id:suggestion_id>/dismiss/", api.DismissView.as_view(), name="dismiss"),
    path("performance/", api.RulePerformanceView.as_view(), name="performance"),
]
