from django.urls import path

from frontline.appointments import views

app_name = "appointments"

urlpatterns = [
    path("book/", views.book, name="book"),
    path("book/booked/<str:token>/", views.booked, name="booked"),
    path("book/manage/<str:signed>/", views.manage, name="manage"),
    path("book/session/<str:token>/", views.customer_session, name="customer_session"),
    path("book/session/<str:token>/lookbook/", views.customer_lookbook, name="customer_lookbook"),
    path("book/feedback/<str:signed>/", views.feedback, name="feedback"),
    path("appointments/", views.appointment_list, name="list"),
    path("appointments/<id:booking_id>/", views.appointment_detail, name="detail"),
    path("appointments/<id:booking_id>/session/", views.stylist_session, name="session"),
    path("appointments/<id:booking_id>/lookbook/", views.lookbook, name="lookbook"),
    path(
        "appointments/<id:booking_id>/lookbook/share/",
        views.lookbook_share,
        name="lookbook_share",
    ),
    path(
        "appointments/<id:booking_id>/lookbook/<id:lookbook_item_id>/",
        views.lookbook_item,
        name="lookbook_item",
    ),
    path("appointments/<id:booking_id>/outcome/", views.session_outcome, name="outcome"),
    path("appointments/<id:booking_id>/meeting-link/", views.meeting_link, name="meeting_link"),
]
