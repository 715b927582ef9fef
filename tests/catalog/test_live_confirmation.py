"""A hold asks the ERP first when a connector can; when the ERP does not answer, it says so.

A real HTTP server (pytest-httpserver) stands in for the ERP behind ``HttpStockConfirmer``.
"""

from __future__ import annotations

import time

import pytest
from werkzeug import Response

from frontline.catalog import services
from frontline.catalog.confirmation import HttpStockConfirmer
from frontline.catalog.models import Hold

pytestmark = pytest.mark.django_db


def hold_with(shop, confirmer, quantity=1):
    return services.hold_create(
        user=shop.associate,
        customer=shop.customer,
        variant=shop.navy_m,
        store=shop.here,
        quantity=quantity,
        confirmer=confirmer,
    )


def test_a_live_figure_from_the_erp_is_recorded_on_the_hold(shop, httpserver):
    httpserver.expect_request("/stock/london-soho/MC-NAVY-M").respond_with_json(
        {"on_hand": 2, "as_of": "2026-11-29T10:00:00Z"}
    )
    placed = hold_with(shop, HttpStockConfirmer(httpserver.url_for("/")))
    assert placed.basis == Hold.Basis.LIVE
    assert placed.basis_as_of.isoformat() == "2026-11-29T10:00:00+00:00"
    assert "confirmed 2 on hand" in placed.basis_detail


def test_the_erp_counting_fewer_than_synced_refuses_the_hold_and_nothing_changes(shop, httpserver):
    httpserver.expect_request("/stock/london-soho/MC-NAVY-M").respond_with_json(
        {"on_hand": 0, "as_of": "2026-11-29T10:00:00Z"}
    )
    with pytest.raises(services.NotEnoughStock, match="The live stock check counts only 0"):
        hold_with(shop, HttpStockConfirmer(httpserver.url_for("/")))
    assert shop.stock(shop.navy_m, shop.here).reserved == 0


def test_an_erp_that_times_out_falls_back_to_the_synced_figure_and_says_so(shop, httpserver):
    def too_slow(request):
        time.sleep(1.5)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/stock/london-soho/MC-NAVY-M").respond_with_handler(too_slow)
    synced_at = shop.stock(shop.navy_m, shop.here).synced_at

    placed = hold_with(shop, HttpStockConfirmer(httpserver.url_for("/"), timeout=0.3))

    assert placed.basis == Hold.Basis.SYNCED
    assert placed.basis_as_of == synced_at
    assert "based on the synced figure" in placed.basis_detail
    assert shop.stock(shop.navy_m, shop.here).reserved == 1


def test_an_erp_error_falls_back_to_the_synced_figure(shop, httpserver):
    httpserver.expect_request("/stock/london-soho/MC-NAVY-M").respond_with_data("down", status=503)
    placed = hold_with(shop, HttpStockConfirmer(httpserver.url_for("/")))
    assert placed.basis == Hold.Basis.SYNCED


def test_without_a_connector_holds_rely_on_the_synced_figure_and_say_nothing_of_a_check(shop):
    placed = hold_with(shop, None)
    assert placed.basis == Hold.Basis.SYNCED
    assert placed.basis_detail == ""
