"""Fixtures for the sandbox cart tests: real servers on loopback, stopped after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from seom_desktop.sandbox import SandboxCart, start_sandbox


class FakeClock:
    """A monotonic clock the test moves by hand, so rate limits need no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
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


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
