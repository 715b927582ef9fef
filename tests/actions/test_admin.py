from __future__ import annotations

import pytest

from tests.factories import ActionOutcomeFactory, ActionSuggestionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "page",
    [
        "/admin/actions/actionsuggestion/",
        "/admin/actions/actionoutcome/",
        "/admin/actions/actionbatchrun/",
        "/admin/recommendations/productsimilarity/",
        "/admin/recommendations/productpopularity/",
    ],
)
def test_the_back_office_lists_actions_and_recommendations(admin_client, page):
    ActionSuggestionFactory()
    ActionOutcomeFactory()
    assert admin_client.get(page).status_code == 200
