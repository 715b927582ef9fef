"""One module per connector; ``connector_for`` picks the one a source is configured for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from frontline.sync.connectors.base import Connector
    from frontline.sync.models import Source

CONNECTORS = {
    "file_drop": "frontline.sync.connectors.file_drop.FileDropConnector",
    "shopify": "frontline.sync.connectors.shopify.ShopifyConnector",
    "salesforce": "frontline.sync.connectors.salesforce.SalesforceConnector",
}


def connector_for(source: Source) -> Connector:
    connector_class: type[Connector] = import_string(CONNECTORS[source.kind])
    return connector_class(source)
