"""What views, forms and the API say to staff is in their store's language (issue 24), and no
message for people can be added without passing through gettext."""

from __future__ import annotations

import textwrap

import pytest
from django.test import Client

from tests.conftest import REPO
from tests.core.untranslated import untranslated_messages
from tests.factories import TEST_PASSWORD, CustomerFactory, StoreAssignmentFactory, StoreFactory


def signed_in(language: str) -> tuple[Client, object]:
    """A client signed in as an associate of a store in ``language``, from an English browser
    (so the French can only come from the store), and a customer of that store."""
    store = StoreFactory(language=language)
    associate = StoreAssignmentFactory(store=store, role="associate").user
    client = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert client.login(username=associate.username, password=TEST_PASSWORD)
    return client, CustomerFactory(preferred_store=store)


@pytest.mark.django_db
def test_a_french_store_s_associate_reads_a_view_s_message_in_french():
    client, _ = signed_in("fr")
    page = client.post(
        "/tablet/pin/",
        {"password": TEST_PASSWORD, "pin": "4821", "pin_again": "4821"},
        follow=True,
    ).content.decode()
    assert "Votre code PIN est enregistré : utilisez-le pour passer à votre compte" in page
    assert "Your PIN is set" not in page


@pytest.mark.django_db
def test_a_french_store_s_associate_reads_a_form_s_labels_and_refusal_in_french():
    client, _ = signed_in("fr")
    refused = client.post(
        "/tablet/pin/", {"password": TEST_PASSWORD, "pin": "4821", "pin_again": "4822"}
    )
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "Les deux codes PIN diffèrent." in page
    assert ">Votre mot de passe<" in page and ">Nouveau code PIN (4 à 8 chiffres)<" in page
    assert "The two PINs differ." not in page and "Your password" not in page


@pytest.mark.django_db
def test_a_french_store_s_associate_reads_the_api_s_refusals_in_french():
    client, customer = signed_in("fr")
    missing = client.get("/api/customers/not-a-number/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Ce client n\u2019existe pas.", "code": "not_found"}
    refused = client.get(f"/api/customers/{customer.pk}/timeline/", {"channel": "pigeon"})
    assert refused.status_code == 400
    assert refused.json()["detail"] == "La requête n\u2019est pas valide."
    assert refused.json()["errors"] == {"channel": ["Canal inconnu : 'pigeon'."]}
    unrouted = client.get("/api/no-such-endpoint/")
    assert unrouted.status_code == 404 and unrouted.json()["detail"] == "Introuvable."


@pytest.mark.django_db
def test_a_page_that_is_not_found_says_what_in_french_in_the_app_s_frame():
    client, _ = signed_in("fr")
    missing = client.get("/stock/holds/987654/")
    page = missing.content.decode()
    assert missing.status_code == 404
    assert '<h1 id="missing-title">Introuvable</h1>' in page
    assert "Cette réservation n\u2019existe pas dans vos magasins." in page
    assert ">Ma journée<" in page  # the app bar: a way back
    unrouted = client.get("/no-such-page/").content.decode()
    assert "Il n\u2019y a rien ici, ou ce n\u2019est pas à vous de le voir." in unrouted
    assert "Resolver404" not in unrouted


@pytest.mark.django_db
def test_an_english_store_s_associate_reads_the_same_refusals_in_english():
    client, customer = signed_in("en")
    refused = client.get(f"/api/customers/{customer.pk}/timeline/", {"channel": "pigeon"})
    assert refused.json()["detail"] == "The request is not valid."
    assert refused.json()["errors"] == {"channel": ["Unknown channel 'pigeon'."]}


def test_no_message_for_people_escapes_gettext():
    found = untranslated_messages(REPO / "frontline")
    assert not found, "wrap these with gettext and translate them:\n" + "\n".join(map(str, found))


PROBE = """
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.response import Response

NOT_FOUND = "Nothing here."


def view(request, name):
    messages.success(request, "Saved.")
    messages.success(request, _("Saved."))
    if name:
        raise ValidationError(f"{name} is taken.")
    if request:
        raise Http404(NOT_FOUND)
    if not request:
        raise Http404(_("Nothing here."))
    return Response({"detail": "Refused: %s" % name, "code": "refused"})
"""


def test_the_scan_finds_each_kind_of_untranslated_message(tmp_path, monkeypatch):
    """The scan above is only worth its silence if it speaks up on the usual mistakes."""
    package = tmp_path / "untranslated_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "views.py").write_text(textwrap.dedent(PROBE))
    monkeypatch.syspath_prepend(str(tmp_path))
    found = untranslated_messages(package)
    assert sorted(finding.text for finding in found) == [
        "'Refused: %s'",
        "'Saved.'",
        "NOT_FOUND",
        "f'{name} is taken.'",
    ]
    lines = (package / "views.py").read_text().splitlines()
    pointed = [lines[finding.line - 1].strip() for finding in found]
    assert sorted(pointed) == [
        'messages.success(request, "Saved.")',
        "raise Http404(NOT_FOUND)",
        'raise ValidationError(f"{name} is taken.")',
        'return Response({"detail": "Refused: %s" % name, "code": "refused"})',
    ]
