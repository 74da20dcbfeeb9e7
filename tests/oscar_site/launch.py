"""Start a real django-oscar + django-oscar-api shop on 127.0.0.1 for tests.

Only the standard library is used here: Django runs in subprocesses
(``python -m oscar_site.server``), never in the test process.

Typical use (see ``tests/carts/conftest.py``)::

    with start_oscar_site(workdir, {"SKU-1": 5, "SKU-2": None}) as site:
        requests.patch(
            f"{site.api_url}admin/stockrecords/{site.products['SKU-1'].stockrecord_id}/",
            json={"num_in_stock": 7},
            auth=site.auth,
        )

Migrating Oscar's ~140 migrations into SQLite takes ~20 s of CPU, so a test session
that starts several sites should migrate once with :func:`migrated_template` and pass
the result as ``template_db``; each site then starts from a copy of that file.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["OscarProduct", "OscarSite", "migrated_template", "start_oscar_site"]

#: The folder that holds the ``oscar_site`` package; put on the subprocesses' PYTHONPATH.
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent
_SETTINGS = "oscar_site.settings"
_TEMPLATE_NAME = "oscar-migrated.sqlite3"


@dataclass(frozen=True)
class OscarProduct:
    """One seeded product: its SKU (= Oscar ``upc`` and stock record ``partner_sku``)."""

    sku: str
    product_id: int
    stockrecord_id: int
    #: The stock it was seeded with; None = its product class does not track stock.
    qoh: int | None

    @property
    def tracked(self) -> bool:
        return self.qoh is not None


@dataclass
class OscarSite:
    """A running shop. Stop it with :meth:`stop` or by using it as a context manager."""

    base_url: str  #: e.g. ``http://127.0.0.1:41234`` (no trailing slash)
    username: str  #: a staff superuser, for HTTP Basic auth
    password: str
    products: dict[str, OscarProduct]
    workdir: Path
    log_path: Path  #: the server's stdout+stderr (request log, tracebacks)
    partner_name: str
    _process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def api_url(self) -> str:
        """Root of django-oscar-api, with a trailing slash: ``{base_url}/api/``."""
        return f"{self.base_url}/api/"

    @property
    def auth(self) -> tuple[str, str]:
        """``(username, password)``, ready for ``requests``' ``auth=``."""
        return (self.username, self.password)

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after ``timeout`` s). Idempotent."""
        _stop_process(self._process, timeout)
        atexit.unregister(self.stop)

    def __enter__(self) -> OscarSite:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _stop_process(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    if process.stdin is not None and not process.stdin.closed:
        process.stdin.close()


def _env(db: Path, site_dir: Path, page_size: int | None) -> dict[str, str]:
    env = dict(os.environ)
    python_path = [str(_PACKAGE_PARENT)]
    if env.get("PYTHONPATH"):
        python_path.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(python_path)
    env["DJANGO_SETTINGS_MODULE"] = _SETTINGS
    env["OSCAR_SITE_DB"] = str(db)
    env["OSCAR_SITE_DIR"] = str(site_dir)
    env.pop("OSCAR_SITE_PAGE_SIZE", None)
    if page_size is not None:
        env["OSCAR_SITE_PAGE_SIZE"] = str(page_size)
    return env


def migrated_template(cache_dir: Path, *, timeout: float = 600.0) -> Path:
    """Return ``cache_dir/oscar-migrated.sqlite3``, migrating it first if it is missing."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    template = cache_dir / _TEMPLATE_NAME
    if template.exists():
        return template
    partial = cache_dir / f"{_TEMPLATE_NAME}.partial"
    partial.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "oscar_site.server", "migrate"],
        cwd=cache_dir,
        env=_env(partial, cache_dir, None),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode(errors="replace")
        raise RuntimeError(f"Oscar migrations failed ({result.returncode}):\n{output[-4000:]}")
    partial.replace(template)
    return template


def start_oscar_site(
    workdir: Path,
    products: dict[str, int | None],
    *,
    template_db: Path | None = None,
    page_size: int | None = None,
    username: str = "seom-admin",
    password: str = "seom-test-password",
    partner_name: str = "SEOM Test Partner",
    timeout: float = 300.0,
) -> OscarSite:
    """Create, seed and serve an Oscar shop; return once it answers HTTP.

    ``products`` maps SKU -> QOH. A product with an int gets a "Tracked goods" product
    class (``track_stock=True``) and a stock record with ``num_in_stock`` = QOH; None
    gets the "Untracked goods" class (``track_stock=False``) and ``num_in_stock`` null.
    Every product has exactly one stock record, from one partner, ``partner_sku`` = SKU
    (the product's ``upc`` is the SKU too).

    ``template_db``: a migrated database (see :func:`migrated_template`) to copy
    instead of migrating from scratch. ``page_size``: turn on DRF page-number pagination
    for list endpoints (off by default, as in a stock install).

    The server is a separate process bound to 127.0.0.1 on a kernel-chosen port. It
    exits when stopped, when this process exits (atexit), or when this process dies
    (it watches its stdin pipe for EOF).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "oscar.sqlite3"
    ready_file = workdir / "ready.json"
    ready_file.unlink(missing_ok=True)
    if template_db is not None:
        shutil.copyfile(template_db, db)
    spec_path = workdir / "spec.json"
    spec_path.write_text(
        json.dumps(
            {
                "migrate": template_db is None,
                "username": username,
                "password": password,
                "email": f"{username}@example.com",
                "partner": partner_name,
                "products": products,
                "ready_file": str(ready_file),
            }
        ),
        encoding="utf-8",
    )
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "oscar_site.server", "serve", str(spec_path)],
            cwd=workdir,
            env=_env(db, workdir, page_size),
            stdin=subprocess.PIPE,  # closed by the OS when we die -> the server exits
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        ready = _wait_until_ready(process, ready_file, log_path, timeout)
    except BaseException:
        _stop_process(process, 10.0)
        raise
    site = OscarSite(
        base_url=f"http://127.0.0.1:{ready['port']}",
        username=username,
        password=password,
        products={
            sku: OscarProduct(
                sku=sku,
                product_id=ids["product_id"],
                stockrecord_id=ids["stockrecord_id"],
                qoh=products[sku],
            )
            for sku, ids in ready["products"].items()
        },
        workdir=workdir,
        log_path=log_path,
        partner_name=partner_name,
        _process=process,
    )
    atexit.register(site.stop)
    return site


def _wait_until_ready(
    process: subprocess.Popen[bytes], ready_file: Path, log_path: Path, timeout: float
) -> dict[str, Any]:
    """Bounded poll: the ready file appears, then ``GET /api/`` answers 200."""
    deadline = time.monotonic() + timeout
    ready: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"Oscar site exited with {process.returncode}:\n{tail}")
        if ready is None and ready_file.exists():
            ready = json.loads(ready_file.read_text(encoding="utf-8"))
        if ready is not None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ready['port']}/api/", timeout=5):
                    return ready
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.05)
    raise TimeoutError(f"Oscar site not ready after {timeout} s; see {log_path}")
