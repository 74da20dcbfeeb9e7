"""SEOM Desktop: keeps the quantity on hand of a shop's products in step across its carts."""

__version__ = "0.1.0"
