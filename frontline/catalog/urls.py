from django.urls import path

from frontline.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.lookup, name="lookup"),
    path("products/<id:product_id>/", views.product_stock, name="product"),
    path("products/<id:product_id>/watch/", views.watch_create, name="watch"),
    path("variants/<id:variant_id>/", views.variant_stock, name="variant"),
    path("variants/<id:variant_id>/hold/", views.hold_create, name="hold_create"),
    path("holds/", views.holds_list, name="holds"),
    path("holds/<id:hold_id>/", views.hold_detail, name="hold"),
    path(
        "holds/<id:hold_id>/<str:action>/",
        views.hold_action,
        name="hold_action",
    ),
    path(
        "requests/<id:request_id>/<str:action>/",
        views.hold_request_action,
        name="request_action",
    ),
]
