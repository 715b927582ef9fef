"""Staff pages speak their store's language; pages before sign-in follow the browser's."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from frontline.core.money import money_text
from frontline.staff.languages import SESSION_KEY
from tests.factories import TEST_PASSWORD, StoreAssignmentFactory, StoreFactory

pytestmark = pytest.mark.django_db


def signed_in(store_language: str, **client_options) -> Client:
    store = StoreFactory(language=store_language)
    associate = StoreAssignmentFactory(store=store, role="associate").user
    client = Client(**client_options)
    assert client.login(username=associate.username, password=TEST_PASSWORD)
    return client


def test_a_french_store_s_associate_sees_the_app_in_french_whatever_the_browser_says():
    client = signed_in("fr", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    response = client.get("/notifications/")
    page = response.content.decode()
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in page
    assert ">Ma journée<" in page and ">Se déconnecter<" in page
    assert "Aucune notification pour l'instant." in page
    assert "My day" not in page


def test_an_english_store_s_associate_sees_english_even_from_a_french_browser():
    client = signed_in("en", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    page = client.get("/notifications/").content.decode()
    assert '<html lang="en">' in page and ">My day<" in page


def test_the_sign_in_page_follows_the_browser():
    french = Client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").get("/accounts/login/")
    english = Client(HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").get("/accounts/login/")
    assert "Connexion à Frontline" in french.content.decode()
    assert "Mot de passe oublié ?" in french.content.decode()
    assert "Sign in to Frontline" in english.content.decode()  # no German: the default


def test_a_language_no_longer_offered_falls_back_to_the_browser_s():
    client = signed_in("fr", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    session = client.session
    session[SESSION_KEY] = "tlh"
    session.save()
    assert ">My day<" in client.get("/notifications/").content.decode()


def test_amounts_are_written_the_french_way_in_french():
    from django.utils import translation

    with translation.override("fr"):
        assert money_text(Decimal("1234.5"), "EUR") == "1\u202f234,50\u00a0€"
    with translation.override("en"):
        assert money_text(Decimal("1234.5"), "EUR") == "€1,234.50"


def test_stock_and_holds_speak_french_in_a_french_store():
    from frontline.catalog.models import Hold
    from tests.catalog.shop import build_shop

    shop = build_shop()
    shop.here.language = "fr"
    shop.here.save()
    client = Client()
    client.force_login(shop.associate)
    page = client.post(
        f"/stock/variants/{shop.navy_m.pk}/hold/",
        {"customer_number": shop.customer.number, "store": shop.here.pk, "quantity": 1},
        follow=True,
    ).content.decode()
    assert f"Réservé pour {shop.customer.full_name} à {shop.here.name} jusqu\u2019au" in page
    assert "Réservations en cours" in page and "Active holds" not in page
    hold = Hold.objects.get()
    detail = client.get(f"/stock/holds/{hold.pk}/").content.decode()
    assert "Annuler la réservation" in detail and "Prolonger de (heures)" in detail
    lookup = client.get("/stock/?q=zzzz-nothing").content.decode()
    assert "Rien ne correspond à « zzzz-nothing »" in lookup


def test_counts_take_the_french_plural():
    from django.template import Context, Template
    from django.utils import translation

    template = Template(
        "{% load i18n %}{% blocktranslate count counter=n with number=n %}"
        "{{ number }} record waiting in quarantine{% plural %}"
        "{{ number }} records waiting in quarantine{% endblocktranslate %}"
    )
    with translation.override("fr"):
        # French takes the singular for 0 and 1.
        assert template.render(Context({"n": 0})) == "0 enregistrement en quarantaine"
        assert template.render(Context({"n": 1})) == "1 enregistrement en quarantaine"
        assert template.render(Context({"n": 2})) == "2 enregistrements en quarantaine"


def test_a_french_store_s_profile_and_day_are_in_french():
    from tests.factories import CustomerFactory, FollowUpFactory

    store = StoreFactory(language="fr")
    associate = StoreAssignmentFactory(store=store, role="associate").user
    ada = CustomerFactory(
        preferred_store=store, first_name="Ada", last_name="Lovelace", tier="gold"
    )
    FollowUpFactory(customer=ada, assignee=associate)
    client = Client()
    assert client.login(username=associate.username, password=TEST_PASSWORD)
    profile = client.get(f"/customers/{ada.pk}/").content.decode()
    for words in (
        ">Historique<",
        ">Ajouter la note<",
        ">Achats<",
        "Note pour Ada Lovelace",
        ">Or<",
    ):
        assert words in profile
    for english in (">Timeline<", ">Add note<", ">Purchases<"):
        assert english not in profile
    day = client.get("/").content.decode()
    assert ">Terminer<" in day and ">Reporter<" in day and "Note pour l\u2019historique" in day
    assert ">Complete<" not in day
    assert ">Rendez-vous pris<" in day  # the outcomes to choose from, too


def test_what_a_french_store_writes_on_the_timeline_is_stored_in_the_brand_s_language():
    """The timeline is read by every store and the CRM receives it: stored words stay English."""
    from frontline.customers.models import Interaction
    from tests.factories import CustomerFactory, FollowUpFactory

    store = StoreFactory(language="fr")
    associate = StoreAssignmentFactory(store=store, role="associate").user
    ada = CustomerFactory(preferred_store=store)
    followup = FollowUpFactory(customer=ada, assignee=associate, reason="thank_you")
    client = Client()
    assert client.login(username=associate.username, password=TEST_PASSWORD)
    done = client.post(
        f"/followups/{followup.pk}/complete/",
        {"outcome": "appointment_booked", "channel": "phone", "note": "Samedi"},
    )
    assert done.status_code == 302
    summary = Interaction.objects.get(customer=ada).summary
    assert summary == "Follow-up (Thank you): Appointment booked. Samedi"
