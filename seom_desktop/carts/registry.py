"""From a cart definition to its connector, by platform key.

Only platforms with a connector module are listed. The ``manual`` platform (phone, counter, a
marketplace without an API) has no QOH capability at all: no connector will ever exist, and
asking for one is an InputError that says so.
System parameters that change how a connector talks (GenericQOHChangeSendAsXML) are read by
the caller with :func:`connector_settings` and passed in: connectors never open the store.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from seom_desktop.carts.base import Connector
from seom_desktop.carts.bigcommerce import BigCommerceConnector
from seom_desktop.carts.generic import GenericConnector
from seom_desktop.carts.magento import MagentoConnector
from seom_desktop.carts.miva import MivaConnector
from seom_desktop.carts.oscar import OscarConnector
from seom_desktop.carts.platforms import platform
from seom_desktop.carts.shopify import ShopifyConnector
from seom_desktop.carts.woocommerce import WooCommerceConnector
from seom_desktop.errors import InputError
from seom_desktop.store import params
from seom_desktop.store.carts import CartInfo

CONNECTORS: dict[str, type[Connector]] = {
    "generic": GenericConnector,
    "shopify": ShopifyConnector,
    "woocommerce": WooCommerceConnector,
    "oscar": OscarConnector,
    "bigcommerce": BigCommerceConnector,
    "miva": MivaConnector,
    "magento": MagentoConnector,
}


def has_connector(platform_key: str) -> bool:
    return platform_key.strip().lower() in CONNECTORS


def connector_for(cart: CartInfo, **kwargs: Any) -> Connector:
    """A new connector for ``cart`` (close it, or use it as a context manager).

    ``kwargs`` go to the connector (``timeout``; ``clock``/``sleep`` for tests; the values of
    :func:`connector_settings`). A platform without a connector is an InputError naming it.
    """
    found = platform(cart.platform)
    cls = CONNECTORS.get(found.key)
    if cls is None:
        caps = found.capabilities
        if not (caps.push or caps.pull or caps.realtime):
            raise InputError(
                f"{cart.name} is a {found.label} cart, which does not exchange quantities "
                "with SEOM Desktop"
            )
        raise InputError(
            f"{cart.name} is a {found.label} cart; SEOM Desktop cannot talk to "
            f"{found.label} yet (connectors exist for {', '.join(sorted(CONNECTORS))})"
        )
    return cls(cart, **kwargs)


def connector_settings(session: Session, cart: CartInfo) -> dict[str, Any]:
    """Constructor arguments that come from system parameters, for this cart's platform."""
    if cart.platform == "generic":
        return {"send_as_xml": bool(params.get(session, "GenericQOHChangeSendAsXML"))}
    return {}
