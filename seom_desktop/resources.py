"""Where the shipped resources (demo catalogue, icons, style sheet) live."""

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
DEMO_CATALOG = RESOURCES / "demo_catalog.csv"
