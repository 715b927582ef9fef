from django.urls import path

from frontline.catalog import api

app_name = "catalog"

urlpatterns = [
    path("products/", api.ProductSearchApi.as_view(), name="products"),
    path("lookup/", api.VariantLookupApi.as_view(), name="lookup"),
    path("products/<id:product_id>/stock/", api.ProductStockApi.as_view(), name="product_stock"),
    path("variants/<id:variant_id>/stock/", api.VariantStockApi.as_view(), name="variant_stock"),
    path("holds/", api.HoldListCreateApi.as_view(), name="holds"),
    path("holds/<id:hold_id>/", api.HoldDetailApi.as_view(), name="hold"),
    path("holds/<id:hold_id>/extend/", api.HoldExtendApi.as_view(), name="hold_extend"),
    path("holds/<id:hold_id>/cancel/", api.HoldCancelApi.as_view(), name="hold_cancel"),
    path("holds/<id:hold_id>/complete/", api.HoldCompleteApi.as_view(), name="hold_complete"),
    path(
        "hold-requests/<id:request_id>/accept/",
        api.HoldRequestDecisionApi.as_view(decision="accept"),
        name="request_accept",
    ),
    path(
        "hold-requests/<id:request_id>/decline/",
        api.HoldRequestDecisionApi.as_view(decision="decline"),
        name="request_decline",
    ),
    path("watches/", api.WatchCreateApi.as_view(), name="watches"),
]
