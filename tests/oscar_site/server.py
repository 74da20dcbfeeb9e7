"""Subprocess entry point of the test shop: ``python -m oscar_site.server {migrate,serve} ...``.

Run by :mod:`oscar_site.launch` with ``PYTHONPATH`` pointing at ``tests/`` and the
``OSCAR_SITE_*`` environment variables that :mod:`oscar_site.settings` reads.

- ``migrate``: apply all migrations to ``$OSCAR_SITE_DB`` and exit.
- ``serve SPEC.json``: (optionally migrate,) seed the catalogue described by the spec,
  bind Django's threaded WSGI server (the one ``runserver`` uses) to 127.0.0.1 on a port
  the kernel picks, write ``{"port": ..., "products": ...}`` to the spec's ``ready_file``
  and serve until killed -- or until its stdin reaches EOF, which happens as soon as
  the launching process dies, so the server never outlives the test session.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import django


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oscar_site.settings")
    django.setup()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _seed(spec: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Create the staff user, two product classes, a partner and one product per SKU."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from oscar.core.loading import get_model

    partner_model = get_model("partner", "Partner")
    stockrecord_model = get_model("partner", "StockRecord")
    product_model = get_model("catalogue", "Product")
    product_class_model = get_model("catalogue", "ProductClass")

    ids: dict[str, dict[str, int]] = {}
    with transaction.atomic():
        get_user_model().objects.create_superuser(
            username=spec["username"], email=spec["email"], password=spec["password"]
        )
        tracked = product_class_model.objects.create(
            name="Tracked goods", slug="tracked", track_stock=True
        )
        # Oscar's "stock not tracked": the product's class has track_stock=False. Its
        # stock record still exists (it carries the partner SKU and the price), with
        # num_in_stock left empty, and the product is always available to buy.
        untracked = product_class_model.objects.create(
            name="Untracked goods", slug="untracked", track_stock=False
        )
        partner = partner_model.objects.create(name=spec["partner"])
        for sku, qoh in spec["products"].items():
            product = product_model.objects.create(
                title=f"Test product {sku}",
                upc=sku,
                structure=product_model.STANDALONE,
                product_class=tracked if qoh is not None else untracked,
            )
            record = stockrecord_model.objects.create(
                product=product,
                partner=partner,
                partner_sku=sku,
                price=Decimal("9.99"),
                num_in_stock=qoh,
            )
            ids[sku] = {"product_id": product.pk, "stockrecord_id": record.pk}
    return ids


def _watch_stdin() -> None:
    """Exit the whole process when stdin closes (the launching process went away)."""

    def watch() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _serve(spec_path: Path) -> None:
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    _watch_stdin()
    _setup()
    if spec.get("migrate", True):
        _migrate()
    products = _seed(spec)

    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    httpd = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler, allow_reuse_address=False)
    httpd.set_app(get_wsgi_application())
    port = httpd.server_address[1]

    ready = Path(spec["ready_file"])
    tmp = ready.with_suffix(".tmp")
    tmp.write_text(json.dumps({"port": port, "products": products}), encoding="utf-8")
    tmp.replace(ready)  # atomic: the launcher never reads a half-written file
    httpd.serve_forever()


def main(argv: list[str]) -> int:
    if len(argv) == 1 and argv[0] == "migrate":
        _setup()
        _migrate()
        return 0
    if len(argv) == 2 and argv[0] == "serve":
        _serve(Path(argv[1]))
        return 0
    print("usage: python -m oscar_site.server {migrate | serve SPEC.json}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
