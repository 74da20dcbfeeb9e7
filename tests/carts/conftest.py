"""Fixtures for the cart tests: a real django-oscar + django-oscar-api shop on 127.0.0.1."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# tests/oscar_site is a helper package, not a test package: make it importable.
_TESTS_DIR = str(Path(__file__).resolve().parent.parent)
if _TESTS_DIR not in sys.path:
    sys.path.append(_TESTS_DIR)

from oscar_site.launch import OscarSite, migrated_template, start_oscar_site  # noqa: E402


@pytest.fixture(scope="session")
def oscar_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OscarSite]:
    """A running Oscar shop with 20 products, ``OSC-001`` .. ``OSC-020``, one stock record each.

    Every fifth SKU (``OSC-005``, ``OSC-010``, ...) is untracked (product class
    ``track_stock=False``, ``num_in_stock`` null); the others start at ``(n * 7) % 13``
    (so ``OSC-013`` starts at 0). ``site.products[sku]`` has the product and stock
    record ids. Session-scoped: tests that change stock must use SKUs of their own.
    """
    products: dict[str, int | None] = {
        f"OSC-{n:03d}": None if n % 5 == 0 else (n * 7) % 13 for n in range(1, 21)
    }
    template = migrated_template(tmp_path_factory.getbasetemp() / "oscar-template")
    with start_oscar_site(
        tmp_path_factory.mktemp("oscar-site"), products, template_db=template
    ) as site:
        yield site


from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from seom_desktop.sandbox import SandboxCart, start_sandbox  # noqa: E402

from .helpers import FakeClock  # noqa: E402


@pytest.fixture
def clock() -> FakeClock:
    """A clock shared by a sandbox and a connector: the connector's waits advance it."""
    return FakeClock()


@pytest.fixture
def sandbox() -> Iterator[Callable[..., SandboxCart]]:
    """Factory: ``sandbox("shopify", catalog=..., ...)`` starts a cart, stopped at teardown."""
    carts: list[SandboxCart] = []

    def make(platform: str, **kwargs: Any) -> SandboxCart:
        cart = start_sandbox(platform, **kwargs)
        carts.append(cart)
        return cart

    yield make
    for cart in carts:
        cart.stop()
