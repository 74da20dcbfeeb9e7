"""Fault injection shared by every sandbox cart.

A fault spec is one string, the same on the command line (``--faults``) and in the Python
API (``faults=``)::

    spec     := "" | item ("," item)*
    item     := "latency=" DURATION | "latency_p=" PROB | KIND "=" PROB | "seed=" INT
    KIND     := "error500" | "drop" | "lost" | "throttle" | "malformed" | "oversized"
    DURATION := NUMBER ("ms" | "s")?      (a bare number is milliseconds)
    PROB     := NUMBER in [0, 1]

Example: ``"latency=20ms,error500=0.1,drop=0.05,lost=0.1,throttle=0.1,malformed=0.05,seed=7"``.

Per protocol request (never for ``/_sandbox/*``) the injector first adds the latency (with
probability ``latency_p``, default 1), then draws at most one fault, checking the kinds in
the fixed order above; the first that fires wins. What each kind does:

- ``error500``: answer HTTP 500 *before* anything is applied.
- ``drop``: close the connection without an answer, *before* anything is applied.
- ``throttle``: answer 429 with ``Retry-After`` (Shopify: plus a ``THROTTLED`` GraphQL
  error), *before* anything is applied.
- ``lost``: apply the request, then close the connection without an answer (the client
  sees a connection error or its own timeout, but the change happened).
- ``malformed``: apply the request, then send a truncated body (broken JSON / XML / text).
- ``oversized``: apply the request, then send several megabytes of junk instead of the body.

The three "after" kinds model a script or proxy that did the work but whose answer never
arrived intact: a client must treat them as "unknown outcome", never as "not applied".
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, fields

BEFORE_KINDS = ("error500", "drop", "throttle")
AFTER_KINDS = ("lost", "malformed", "oversized")
FAULT_KINDS = ("error500", "drop", "lost", "throttle", "malformed", "oversized")

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)?$")


@dataclass(frozen=True)
class FaultSpec:
    """Parsed fault spec: probabilities per request and an extra latency."""

    latency: float = 0.0  # seconds
    latency_p: float = 1.0
    error500: float = 0.0
    drop: float = 0.0
    lost: float = 0.0
    throttle: float = 0.0
    malformed: float = 0.0
    oversized: float = 0.0
    seed: int | None = None

    def to_string(self) -> str:
        """Render the spec back in the grammar of :func:`parse_faults`."""
        parts: list[str] = []
        if self.latency:
            parts.append(f"latency={round(self.latency * 1000, 3):g}ms")
            if self.latency_p != 1.0:
                parts.append(f"latency_p={self.latency_p:g}")
        parts.extend(f"{k}={getattr(self, k):g}" for k in FAULT_KINDS if getattr(self, k))
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        return ",".join(parts)

    @property
    def active(self) -> bool:
        """True when the spec can change anything at all."""
        return bool(self.latency) or any(getattr(self, k) for k in FAULT_KINDS)


def _probability(key: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"fault spec: {key}={raw!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"fault spec: {key}={raw!r} must be a probability between 0 and 1")
    return value


def parse_duration(raw: str) -> float:
    """Parse ``20ms``, ``0.5s`` or a bare number of milliseconds into seconds."""
    match = _DURATION.match(raw.strip())
    if not match:
        raise ValueError(f"fault spec: latency={raw!r} is not a duration like 20ms or 0.5s")
    number = float(match.group(1))
    return number if match.group(2) == "s" else number / 1000.0


def parse_faults(spec: str | FaultSpec | None) -> FaultSpec:
    """Parse a fault spec string (see the module docstring); raise ValueError when invalid."""
    if spec is None:
        return FaultSpec()
    if isinstance(spec, FaultSpec):
        return spec
    if not isinstance(spec, str):
        raise ValueError(f"fault spec must be a string, not {type(spec).__name__}")
    values: dict[str, object] = {}
    known = {f.name for f in fields(FaultSpec)}
    for raw_item in spec.split(","):
        item = raw_item.strip()
        if not item:
            continue
        key, sep, raw = item.partition("=")
        key, raw = key.strip().lower(), raw.strip()
        if not sep or not raw:
            raise ValueError(f"fault spec: {item!r} is not of the form key=value")
        if key not in known:
            raise ValueError(
                f"fault spec: unknown key {key!r} (known: latency, latency_p, "
                f"{', '.join(FAULT_KINDS)}, seed)"
            )
        if key in values:
            raise ValueError(f"fault spec: {key!r} given twice")
        if key == "latency":
            values[key] = parse_duration(raw)
        elif key == "seed":
            try:
                values[key] = int(raw)
            except ValueError:
                raise ValueError(f"fault spec: seed={raw!r} is not an integer") from None
        else:
            values[key] = _probability(key, raw)
    total = sum(float(str(values.get(k, 0.0))) for k in FAULT_KINDS)
    if total > 1.0 + 1e-9:
        raise ValueError(f"fault spec: fault probabilities add up to {total:g}, more than 1")
    return FaultSpec(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class FaultDecision:
    """What the injector decided for one request."""

    latency: float = 0.0
    kind: str | None = None

    @property
    def before(self) -> bool:
        return self.kind in BEFORE_KINDS

    @property
    def after(self) -> bool:
        return self.kind in AFTER_KINDS


class FaultInjector:
    """Thread-safe, seedable source of :class:`FaultDecision` for each request."""

    def __init__(self, spec: str | FaultSpec | None = None) -> None:
        self._lock = threading.Lock()
        self._spec = FaultSpec()
        self._rng = random.Random()
        self.set(spec)

    @property
    def spec(self) -> FaultSpec:
        with self._lock:
            return self._spec

    def set(self, spec: str | FaultSpec | None) -> FaultSpec:
        """Replace the spec (reseeding the random source when the spec has a seed)."""
        parsed = parse_faults(spec)
        with self._lock:
            self._spec = parsed
            self._rng = random.Random(parsed.seed)
        return parsed

    def decide(self) -> FaultDecision:
        """Draw the latency and at most one fault kind for the next request."""
        with self._lock:
            spec = self._spec
            if not spec.active:
                return FaultDecision()
            latency = 0.0
            if spec.latency and (spec.latency_p >= 1.0 or self._rng.random() < spec.latency_p):
                latency = spec.latency
            roll = self._rng.random()
            threshold = 0.0
            for kind in FAULT_KINDS:
                threshold += getattr(spec, kind)
                if roll < threshold:
                    return FaultDecision(latency, kind)
            return FaultDecision(latency, None)
