"""Catalog REST API: input serializer → selector/service → output serializer.

Refusals (a :class:`~frontline.catalog.services.CatalogError`) become 400/403/404/409 answers
with ``{"detail": message, "code": ...}``; nothing is changed when a request is refused.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontline.catalog import selectors, services
from frontline.catalog.models import BackInStockWatch, Hold, HoldRequest, Product, Variant
from frontline.core.api import ErrorSerializer, error_body, id_field, invalid_input_body
from frontline.staff.models import Store, User
from frontline.staff.selectors import primary_store_for, stores_for

# --- Serializers ---------------------------------------------------------------------------


class ProductSerializer(serializers.ModelSerializer):
    brand = serializers.CharField(source="brand.name")

    class Meta:
        model = Product
        fields = ["id", "style_code", "name", "brand", "category"]


class VariantSerializer(serializers.ModelSerializer):
    product = ProductSerializer()

    class Meta:
        model = Variant
        fields = ["id", "sku", "barcode", "size", "colour", "price", "currency", "product"]


class MatrixCellSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField(source="variant.pk")
    sku = serializers.CharField(source="variant.sku")
    size = serializers.CharField(source="variant.size")
    colour = serializers.CharField(source="variant.colour")
    available = serializers.IntegerField()
    synced_at = serializers.DateTimeField(allow_null=True)


class StockMatrixSerializer(serializers.Serializer):
    product = ProductSerializer()
    store_id = serializers.IntegerField(source="store.pk", allow_null=True)
    sizes = serializers.ListField(child=serializers.CharField())
    colours = serializers.ListField(child=serializers.CharField())
    filtered_to_sizes = serializers.ListField(child=serializers.CharField())
    cells = serializers.SerializerMethodField()
    synced_at = serializers.DateTimeField(allow_null=True)

    def get_cells(self, matrix: selectors.StockMatrix) -> list[dict[str, Any]]:
        return MatrixCellSerializer(list(matrix.cells.values()), many=True).data  # type: ignore[return-value]


class StoreStockSerializer(serializers.Serializer):
    store_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    synced_at = serializers.DateTimeField(allow_null=True)
    distance_km = serializers.FloatField(allow_null=True)


class StockOverviewSerializer(serializers.Serializer):
    variant = VariantSerializer()
    here = StoreStockSerializer(allow_null=True)
    nearby = StoreStockSerializer(many=True)
    warehouses = StoreStockSerializer(many=True)


class HoldSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku")
    request_status = serializers.SerializerMethodField()

    class Meta:
        model = Hold
        fields = [
            "id",
            "customer",
            "variant",
            "sku",
            "store",
            "requested_from",
            "quantity",
            "status",
            "expires_at",
            "pickup_note",
            "basis",
            "basis_as_of",
            "basis_detail",
            "created_at",
            "closed_at",
            "order",
            "request_status",
        ]

    def get_request_status(self, hold: Hold) -> str | None:
        request = getattr(hold, "request", None) if hold.requested_from_id else None
        return request.status if request else None


class HoldCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField(help_text="Customer id")
    variant = serializers.IntegerField(help_text="Variant id")
    store = serializers.IntegerField(help_text="Store that keeps the item")
    quantity = serializers.IntegerField(default=1)
    hours = serializers.IntegerField(required=False, allow_null=True, default=None)
    pickup_note = serializers.CharField(
        required=False, allow_blank=True, max_length=300, default=""
    )


class HoldExtendSerializer(serializers.Serializer):
    hours = serializers.IntegerField(min_value=1, max_value=services.MAX_HOLD_HOURS)


class HoldRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = HoldRequest
        fields = ["id", "hold", "status", "decided_at", "reason"]


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class WatchCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    product = serializers.IntegerField()
    size = serializers.CharField(max_length=10)
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=BackInStockWatch.Source.choices, default=BackInStockWatch.Source.ASSOCIATE
    )


class WatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = BackInStockWatch
        fields = [
            "id",
            "customer",
            "product",
            "size",
            "owner",
            "source",
            "created_at",
            "notified_at",
        ]


# --- Helpers ------------------------------------------------------------------------------

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input; nothing changed"),
    404: OpenApiResponse(ErrorSerializer, description="Unknown, or not yours to see"),
    409: OpenApiResponse(ErrorSerializer, description="Conflicts with the current state"),
}


def refusal(error: services.CatalogError) -> Response:
    return Response(error_body(error.message, type(error).__name__), status=error.status_code)


def not_found(message: str) -> Response:
    return Response(error_body(message, "not_found"), status=status.HTTP_404_NOT_FOUND)


def invalid(serializer: serializers.Serializer) -> Response:
    return Response(invalid_input_body(serializer.errors), status=status.HTTP_400_BAD_REQUEST)


def origin_store(user: User, store_id: int | None) -> Store | None:
    """The store the staff member looks from: the one asked for when it is theirs, else their
    primary store."""
    if store_id is not None:
        store = stores_for(user).filter(pk=store_id).first()
        if store is not None:
            return store
    return primary_store_for(user)


class StockQuery(serializers.Serializer):
    store = id_field(required=False, help_text="One of your stores (default: primary)")


class ProductStockQuery(StockQuery):
    customer = id_field(required=False, help_text="Filter to this customer's size")


class HoldListQuery(serializers.Serializer):
    store = id_field(required=False, help_text="Only holds kept at or asked by this store")
    customer = id_field(required=False)
    status = serializers.ChoiceField(choices=Hold.Status.choices, required=False)


def valid_query(query_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    query = query_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


# --- Views ---------------------------------------------------------------------------------


class ProductSearchApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Name, style code, SKU or barcode")],
        responses={200: ProductSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        products = selectors.products_search(request.query_params.get("q", ""))
        return Response(ProductSerializer(products, many=True).data)


class VariantLookupApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("code", str, required=True, description="SKU or barcode")],
        responses={200: VariantSerializer, 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        code = request.query_params.get("code", "")
        variant = selectors.variant_by_code(code)
        if variant is None:
            return not_found(
                _("No product has the SKU or barcode %(code)s.") % {"code": repr(code.strip())}
            )
        return Response(VariantSerializer(variant).data)


class ProductStockApi(APIView):
    @extend_schema(
        parameters=[ProductStockQuery],
        responses={200: StockMatrixSerializer, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request, product_id: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        query = valid_query(ProductStockQuery, request)
        product = Product.objects.select_related("brand").filter(pk=product_id).first()
        if product is None:
            return not_found(_("No such product."))
        sizes = None
        if "customer" in query:
            customer = selectors.findable_customer(user, customer_id=query["customer"])
            if customer is None:
                return not_found(_("No such customer among the customers you look after."))
            size = selectors.customer_size_for(customer, product)
            sizes = [size] if size else None
        store = origin_store(user, query.get("store"))
        matrix = selectors.stock_matrix(product=product, store=store, sizes=sizes)
        return Response(StockMatrixSerializer(matrix).data)


class VariantStockApi(APIView):
    @extend_schema(
        parameters=[StockQuery],
        responses={200: StockOverviewSerializer, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request, variant_id: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        query = valid_query(StockQuery, request)
        variant = Variant.objects.select_related("product__brand").filter(pk=variant_id).first()
        if variant is None:
            return not_found(_("No such variant."))
        origin = origin_store(user, query.get("store"))
        overview = selectors.variant_stock_overview(variant=variant, origin=origin)
        return Response(StockOverviewSerializer(overview).data)


class HoldListCreateApi(APIView):
    @extend_schema(
        parameters=[HoldListQuery],
        responses={200: HoldSerializer(many=True), 400: ERRORS[400]},
    )
    def get(self, request: Request) -> Response:
        holds = selectors.holds_visible_to(request.user)  # type: ignore[arg-type]
        query = valid_query(HoldListQuery, request)
        if "store" in query:
            store_id = query["store"]
            holds = holds.filter(store_id=store_id) | holds.filter(requested_from_id=store_id)
        if "customer" in query:
            holds = holds.filter(customer_id=query["customer"])
        if "status" in query:
            holds = holds.filter(status=query["status"])
        holds = holds.order_by("expires_at")[:200]
        return Response(HoldSerializer(holds, many=True).data)

    @extend_schema(
        request=HoldCreateSerializer,
        responses={201: HoldSerializer, **ERRORS},
        description=(
            "Hold units for a customer: available stock drops at once. 409 when the stock is "
            "not there (or was just taken by another associate)."
        ),
    )
    def post(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        serializer = HoldCreateSerializer(data=request.data)
        if not serializer.is_valid():
            return invalid(serializer)
        data = serializer.validated_data
        customer = selectors.findable_customer(user, customer_id=data["customer"])
        variant = Variant.objects.filter(pk=data["variant"]).select_related("product").first()
        store = Store.objects.filter(pk=data["store"], is_active=True).first()
        try:
            if data["quantity"] <= 0:
                raise services.InvalidRequest(_("The quantity must be at least 1."))
            if customer is None:
                raise services.NotFound(_("No such customer among the customers you look after."))
            if variant is None or store is None:
                raise services.NotFound(_("No such variant or store."))
            hold = services.hold_create(
                user=user,
                customer=customer,
                variant=variant,
                store=store,
                quantity=data["quantity"],
                hours=data["hours"],
                pickup_note=data["pickup_note"],
            )
        except services.CatalogError as error:
            return refusal(error)
        return Response(HoldSerializer(hold).data, status=status.HTTP_201_CREATED)


def _visible_hold(request: Request, hold_id: int) -> Hold | None:
    return selectors.hold_for(request.user, hold_id)  # type: ignore[arg-type]


class HoldDetailApi(APIView):
    @extend_schema(responses={200: HoldSerializer, 404: ERRORS[404]})
    def get(self, request: Request, hold_id: int) -> Response:
        hold = _visible_hold(request, hold_id)
        if hold is None:
            return not_found(_("No such hold at your stores."))
        return Response(HoldSerializer(hold).data)


class HoldExtendApi(APIView):
    @extend_schema(request=HoldExtendSerializer, responses={200: HoldSerializer, **ERRORS})
    def post(self, request: Request, hold_id: int) -> Response:
        hold = _visible_hold(request, hold_id)
        if hold is None:
            return not_found(_("No such hold at your stores."))
        serializer = HoldExtendSerializer(data=request.data)
        if not serializer.is_valid():
            return invalid(serializer)
        try:
            hold = services.hold_extend(
                user=request.user,  # type: ignore[arg-type]
                hold=hold,
                hours=serializer.validated_data["hours"],
            )
        except services.CatalogError as error:
            return refusal(error)
        return Response(HoldSerializer(hold).data)


class HoldCancelApi(APIView):
    @extend_schema(
        request=None, responses={200: HoldSerializer, 404: ERRORS[404], 409: ERRORS[409]}
    )
    def post(self, request: Request, hold_id: int) -> Response:
        hold = _visible_hold(request, hold_id)
        if hold is None:
            return not_found(_("No such hold at your stores."))
        try:
            hold = services.hold_cancel(user=request.user, hold=hold)  # type: ignore[arg-type]
        except services.CatalogError as error:
            return refusal(error)
        return Response(HoldSerializer(hold).data)


class HoldCompleteApi(APIView):
    @extend_schema(
        request=None,
        responses={200: HoldSerializer, 404: ERRORS[404], 409: ERRORS[409]},
        description="The customer collected and paid: stock leaves the store, an order is made.",
    )
    def post(self, request: Request, hold_id: int) -> Response:
        hold = _visible_hold(request, hold_id)
        if hold is None:
            return not_found(_("No such hold at your stores."))
        try:
            services.hold_complete(user=request.user, hold=hold)  # type: ignore[arg-type]
        except services.CatalogError as error:
            return refusal(error)
        return Response(HoldSerializer(_visible_hold(request, hold_id)).data)


class HoldRequestDecisionApi(APIView):
    decision = "accept"

    @extend_schema(
        request=DeclineSerializer,
        responses={
            200: HoldRequestSerializer,
            400: ERRORS[400],
            404: ERRORS[404],
            409: ERRORS[409],
        },
    )
    def post(self, request: Request, request_id: int) -> Response:
        hold_request = HoldRequest.objects.filter(pk=request_id).select_related("hold").first()
        if hold_request is None or _visible_hold(request, hold_request.hold_id) is None:
            return not_found(_("No such request at your stores."))
        user: User = request.user  # type: ignore[assignment]
        try:
            if self.decision == "accept":
                services.hold_request_accept(user=user, hold_request=hold_request)
            else:
                serializer = DeclineSerializer(data=request.data)
                # A reason that does not fit is refused, not silently dropped.
                serializer.is_valid(raise_exception=True)
                reason = serializer.validated_data.get("reason", "")
                services.hold_request_decline(user=user, hold_request=hold_request, reason=reason)
        except services.CatalogError as error:
            return refusal(error)
        hold_request.refresh_from_db()
        return Response(HoldRequestSerializer(hold_request).data)


class WatchCreateApi(APIView):
    @extend_schema(request=WatchCreateSerializer, responses={201: WatchSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        serializer = WatchCreateSerializer(data=request.data)
        if not serializer.is_valid():
            return invalid(serializer)
        data = serializer.validated_data
        user: User = request.user  # type: ignore[assignment]
        customer = selectors.findable_customer(user, customer_id=data["customer"])
        product = Product.objects.filter(pk=data["product"]).first()
        try:
            if customer is None:
                raise services.NotFound(_("No such customer among the customers you look after."))
            if product is None:
                raise services.NotFound(_("No such product."))
            watch = services.watch_create(
                user=user,
                customer=customer,
                product=product,
                size=data["size"],
                source=data["source"],
            )
        except services.CatalogError as error:
            return refusal(error)
        return Response(WatchSerializer(watch).data, status=status.HTTP_201_CREATED)
