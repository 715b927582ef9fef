"""Pages travel compressed to a browser that accepts it (a store's Wi-Fi is slow), and never to
one that does not."""

from __future__ import annotations

import gzip

import pytest

pytestmark = pytest.mark.django_db


def test_a_page_is_gzipped_for_a_browser_that_accepts_it(client, associate, password):
    client.force_login(associate)

    plain = client.get("/")
    packed = client.get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert plain.status_code == packed.status_code == 200
    assert not plain.has_header("Content-Encoding")
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    page = gzip.decompress(packed.content)
    assert b"</html>" in page
    assert len(packed.content) * 2 < len(page)


def test_the_sign_in_page_is_gzipped_too(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_ENCODING="gzip")

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert b'name="username"' in gzip.decompress(response.content)
