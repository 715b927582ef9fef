"""Finding a product and seeing its stock: here, nearby (nearest first), and the warehouse."""

from __future__ import annotations

import pytest

from frontline.catalog import selectors, services
from frontline.customers.models import CustomerSize

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ["MC-NAVY-M", "mc-navy-m", " 5012345678900 "])
def test_a_variant_is_found_by_sku_or_barcode(shop, code):
    assert selectors.variant_by_code(code) == shop.navy_m


def test_an_unknown_code_finds_nothing(shop):
    assert selectors.variant_by_code("NOPE-123") is None
    assert selectors.products_search("NOPE-123") == []


def test_products_are_found_by_part_of_the_name(shop):
    assert selectors.products_search("merino") == [shop.navy_m.product]


def test_the_matrix_shows_available_units_per_colour_and_size_in_my_store(shop):
    hold_one = services.hold_create(
        user=shop.associate, customer=shop.customer, variant=shop.navy_m, store=shop.here
    )
    matrix = selectors.stock_matrix(product=shop.navy_m.product, store=shop.here)

    assert matrix.sizes == ["M", "L"]
    assert matrix.colours == ["Black", "Navy"]
    available = {(colour, size): cell.available for (colour, size), cell in matrix.cells.items()}
    assert available == {("Navy", "M"): 1, ("Navy", "L"): 1, ("Black", "M"): 0}
    assert matrix.synced_at is not None
    assert hold_one.store == shop.here


def test_the_matrix_can_be_filtered_to_the_customers_size(shop):
    CustomerSize.objects.create(customer=shop.customer, category="tops", size="L")
    size = selectors.customer_size_for(shop.customer, shop.navy_m.product)
    matrix = selectors.stock_matrix(product=shop.navy_m.product, store=shop.here, sizes=[size])
    assert size == "L"
    assert matrix.sizes == ["L"]
    assert list(matrix.cells) == [("Navy", "L")]


def test_sizes_are_ordered_as_people_read_them():
    sizes = ["XL", "10", "S", "M", "8", "ONE", "XS", "L"]
    assert sorted(sizes, key=selectors.size_sort_key) == [
        "XS",
        "S",
        "M",
        "L",
        "XL",
        "ONE",
        "8",
        "10",
    ]


def test_other_stores_are_listed_nearest_first_and_the_warehouse_apart(shop):
    overview = selectors.variant_stock_overview(variant=shop.navy_m, origin=shop.here)

    assert overview.here.name == "Soho" and overview.here.available == 2
    assert [row.name for row in overview.nearby] == ["City", "Manchester"]
    city, manchester = overview.nearby
    assert 2 < city.distance_km < 4  # Soho to the City: about 3 km
    assert 255 < manchester.distance_km < 270
    assert [(row.name, row.available) for row in overview.warehouses] == [("Online warehouse", 30)]
    assert all(row.synced_at for row in overview.nearby)


def test_haversine_matches_a_known_distance():
    # London (51.5074, -0.1278) to Paris (48.8566, 2.3522): about 343.5 km.
    assert selectors.haversine_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343.5, abs=1)


def test_stock_is_brand_wide_knowledge(shop):
    """An associate of Manchester sees Soho's stock too: only holds are scoped to stores."""
    overview = selectors.variant_stock_overview(variant=shop.navy_m, origin=shop.far)
    assert overview.here.name == "Manchester"
    assert [row.name for row in overview.nearby] == ["Soho", "City"]  # Soho lies west of the City
