"""The HTTP layer every connector uses: one session and one rate limiter per cart.

Rules this module follows, and where they come from (``cart-protocols.md``):

* One :class:`requests.Session` per cart with a pooled :class:`~requests.adapters.HTTPAdapter`
  and a (connect, read) timeout on every request; TLS certificates are always verified.
* Plain ``http://`` is refused unless the host is loopback (127.0.0.0/8, ``::1``,
  ``localhost``) or the cart option ``allow_http`` is true: WooCommerce sends its consumer
  secret in Basic auth and generic scripts send the password in the form, so neither may cross
  a network in clear text. Redirects are never followed (a redirect could carry our credential
  headers to another host); a 3xx answer is an error naming the new location.
* One :class:`RateLimiter` per cart ("Lessons": 429 needs one limiter per cart, honour
  ``Retry-After``). It understands ``Retry-After`` (seconds or an HTTP date), BigCommerce's
  ``X-Rate-Limit-Requests-Left`` / ``X-Rate-Limit-Time-Reset-Ms`` and, fed by the Shopify
  connector, Shopify's leaky bucket of query-cost points (``extensions.cost.throttleStatus``).
  Before each request it waits until the request is expected to be allowed.
* Answers larger than :data:`MAX_BODY_BYTES` are refused while streaming, never loaded whole.
* Every message that leaves this layer passes through :class:`Redactor`, so the cart's
  secret (plain, URL-encoded, JSON-escaped or inside a Basic ``Authorization`` value) never
  reaches an exception, a log line or a stack row's Last Response.
* A failed request becomes a :class:`~seom_desktop.carts.base.CartError` whose flags say what
  the caller may do: ``transient`` (retry later), ``retry_after`` (how long the cart asked us
  to wait), ``status`` (the HTTP status when there was one) and ``applied_unknown`` (the
  request of a change was sent but no usable answer came back: a read timeout, a connection
  dropped after sending, a truncated, unparseable or oversized answer, a 502/504 from a
  gateway). Requests that cannot have been sent (connection refused, DNS failure, connect
  timeout, TLS handshake failure) never set ``applied_unknown``.
* XML from a cart is parsed with :mod:`defusedxml` only.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import ipaddress
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, quote_plus, urlsplit

import defusedxml.ElementTree as SafeET
import orjson
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import NameResolutionError, NewConnectionError

from seom_desktop.carts.base import CartError, Connector
from seom_desktop.carts.platforms import platform
from seom_desktop.store.carts import REDACTED, CartInfo

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

MAX_BODY_BYTES = 32 * 1024 * 1024
"""The largest answer accepted from a cart (the biggest legitimate one, a WooCommerce page of
100 products or an Oscar product list, is far below this)."""

DEFAULT_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0
MAX_THROTTLE_RETRIES = 6
"""How many throttled answers in a row one call waits out before giving up with a CartError."""
MAX_WAIT = 300.0
"""The longest single wait the limiter accepts; a cart asking for more gets a CartError whose
``retry_after`` tells the caller (the stack controller) when to come back."""
MAX_RETRY_AFTER = 86400.0
"""The longest wait a cart may ask for (``Retry-After``, a quota reset): a day. More, or a
value that is not a finite number, is not believed."""
MAX_MESSAGE = 1000
"""The longest message a CartError carries; the cart's own words in it are shorter snippets."""

Clock = Callable[[], float]
Sleep = Callable[[float], None]

_TRUE = {"1", "true", "yes", "on", "t", "y"}


def option_flag(cart: CartInfo, name: str, default: bool = False) -> bool:
    """A cart option read as a boolean (``allow_http=true``)."""
    raw = cart.options.get(name)
    if raw is None:
        return default
    return str(raw).strip().lower() in _TRUE


@functools.lru_cache(maxsize=64)
def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or ``localhost``: the only hosts plain http:// may reach by default."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


# -- reading what a cart sent ----------------------------------------------------------------
INT_LIMIT = 2**63 - 1
"""Quantities and ids beyond a 64-bit integer are not believed (the store could not keep them)."""


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when the cart sent a JSON object where one belongs, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when the cart sent a JSON array where one belongs, else an empty one."""
    return value if isinstance(value, list) else []


def as_int(value: Any) -> int | None:
    """A number from a cart as an int: an integer, an integral finite float or a string of
    digits, within 64 bits; None for anything else (true, NaN, 1.5, "abc", 1e400)."""
    if type(value) is int and -INT_LIMIT <= value <= INT_LIMIT:
        return value  # the usual answer, first: this runs for every item of every page
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in ("-", "+") else text
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
            return None
        value = int(text)
    if not isinstance(value, int) or abs(value) > INT_LIMIT:
        return None
    return value


_PLAIN_QUERY_VALUE = re.compile(r"[A-Za-z0-9._~,:-]*")


def encode_query(params: Mapping[str, Any]) -> str:
    """``params`` as a URL query string, as ``requests`` would encode it, except that a value
    made only of characters a query may carry as they are (letters, digits, ``.-_~,:``) is
    not run through the quoting loop: a Send QOH search names a hundred SKUs per request,
    and quoting them byte by byte cost more than the rest of the request."""
    parts = []
    for key, value in params.items():
        if value is None:
            continue
        for one in value if isinstance(value, (list, tuple)) else (value,):
            text = str(one)
            if not _PLAIN_QUERY_VALUE.fullmatch(text):
                text = quote_plus(text, safe=",:")
            parts.append(f"{quote_plus(str(key))}={text}")
    return "&".join(parts)


# -- redaction ------------------------------------------------------------------------------
_GENERIC_PATTERNS = (
    # Authorization: Basic xxx / Bearer xxx
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:basic|bearer|token)\s+)[^\s'\",}]+"),
    # X-Shopify-Access-Token: xxx, X-Auth-Token: xxx
    re.compile(r"(?i)((?:access|auth)[-_]token['\"]?\s*[:=]\s*['\"]?)[^\s'\",}&]+"),
    # password=xxx, consumer_secret=xxx in a query string or a form body
    re.compile(r"(?i)\b((?:password|passwd|consumer_secret|client_secret|secret)=)[^&\s'\"]+"),
)


class Redactor:
    """Removes a cart's secrets from any text (the one redaction helper).

    Each secret is removed as typed, URL-encoded (both ``quote`` forms), JSON-escaped and
    inside the base64 of a Basic ``user:secret`` pair; credential-looking fields
    (``Authorization:``, ``...-Token:``, ``password=``) are masked whatever their value.
    """

    def __init__(self, secrets: Iterable[str] = (), basic: Iterable[tuple[str, str]] = ()):
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms.update(self._forms(secret))
        for user, secret in basic:
            if secret:
                pair = f"{user}:{secret}".encode()
                forms.add(base64.b64encode(pair).decode("ascii"))
                forms.add(base64.urlsafe_b64encode(pair).decode("ascii"))
        ordered = sorted((f for f in forms if f), key=len, reverse=True)
        self.longest = len(ordered[0]) if ordered else 0
        """The longest text removed (what a cut must stay clear of)."""
        self._pattern = re.compile("|".join(re.escape(f) for f in ordered)) if ordered else None

    @staticmethod
    def _forms(secret: str) -> set[str]:
        return {
            secret,
            quote(secret, safe=""),
            quote(secret),
            quote_plus(secret),
            json.dumps(secret)[1:-1],
        }

    def __call__(self, text: object) -> str:
        out = str(text)
        if self._pattern is not None:
            out = self._pattern.sub(REDACTED, out)
        for pattern in _GENERIC_PATTERNS:
            out = pattern.sub(lambda m: m.group(1) + REDACTED, out)
        return out


def redactor_for(cart: CartInfo) -> Redactor:
    """The redactor of one cart: its secret and its Basic-auth pair."""
    return Redactor([cart.secret], [(cart.username, cart.secret)])


# -- rate limiting --------------------------------------------------------------------------
def parse_retry_after(
    value: str | None, now: Callable[[], dt.datetime] | None = None
) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        current = now() if now is not None else dt.datetime.now(dt.UTC)
        seconds = (when - current).total_seconds()
    return bounded_wait(seconds)


def bounded_wait(seconds: float) -> float | None:
    """A wait a cart asked for, as seconds in [0, MAX_RETRY_AFTER]; None when not a number."""
    if not math.isfinite(seconds):
        return MAX_RETRY_AFTER if seconds == math.inf else None
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


@dataclass
class _Bucket:
    maximum: float
    available: float
    restore_rate: float
    at: float


class RateLimiter:
    """One per cart: blocks before a request until the cart is expected to accept it.

    Three documented signals feed it:

    * a pause (``Retry-After`` on 429/503, a BigCommerce window with
      ``X-Rate-Limit-Requests-Left: 0`` until ``X-Rate-Limit-Time-Reset-Ms``);
    * a leaky bucket of points (Shopify's ``throttleStatus``: ``maximumAvailable``,
      ``currentlyAvailable``, ``restoreRate``), refilled at the restore rate; a request that
      is expected to cost more than is available waits for the difference.

    ``clock`` and ``sleep`` are injectable so tests can drive a sandbox's fake clock instead of
    sleeping.
    """

    def __init__(self, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        self.clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._blocked_until = 0.0
        self._bucket: _Bucket | None = None
        self.waited = 0.0
        """Seconds spent waiting so far (for logs and tests)."""

    # -- what we learnt --------------------------------------------------------------------
    def pause(self, seconds: float) -> None:
        """No request before ``seconds`` from now."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self.clock() + max(0.0, seconds))

    def observe_headers(self, headers: Mapping[str, str]) -> None:
        """BigCommerce-style quota headers: an exhausted window pauses until it resets."""
        left = headers.get("X-Rate-Limit-Requests-Left")
        reset_ms = headers.get("X-Rate-Limit-Time-Reset-Ms")
        if left is None or reset_ms is None:
            return
        try:
            exhausted = float(left) <= 0
            reset = bounded_wait(float(reset_ms) / 1000.0)
        except ValueError:
            return
        if exhausted and reset is not None:
            self.pause(reset)

    def observe_bucket(self, maximum: float, available: float, restore_rate: float) -> None:
        """Shopify's ``throttleStatus`` from the last answer (ignored unless it makes sense)."""
        if not all(math.isfinite(x) for x in (maximum, available, restore_rate)):
            return
        if maximum <= 0 or restore_rate <= 0:
            return
        with self._lock:
            self._bucket = _Bucket(
                float(maximum), float(available), float(restore_rate), self.clock()
            )

    @property
    def bucket_maximum(self) -> float | None:
        with self._lock:
            return self._bucket.maximum if self._bucket is not None else None

    # -- waiting ---------------------------------------------------------------------------
    def delay_for(self, cost: float = 0.0) -> float:
        """Seconds to wait before a request expected to cost ``cost`` bucket points."""
        with self._lock:
            now = self.clock()
            wait = max(0.0, self._blocked_until - now)
            bucket = self._bucket
            if bucket is not None and cost > 0:
                at = now + wait
                available = min(
                    bucket.maximum, bucket.available + (at - bucket.at) * bucket.restore_rate
                )
                need = min(cost, bucket.maximum)
                if available < need:
                    # a millisecond more: the points must be there, not 1e-12 short of it
                    wait += (need - available) / bucket.restore_rate + 0.001
            return wait

    def wait(self, cost: float = 0.0) -> float:
        """Block until a request costing ``cost`` points is expected to pass; returns the wait."""
        delay = self.delay_for(cost)
        if delay > 0:
            self._sleep(delay)
            self.waited += delay
        return delay


_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
"""Every digit as ``0`` and every other byte as a blank (for ``bytes.translate``): a run of
19 digits is then found by a substring search, at a tenth of the cost of decoding the
answer (a regular expression costs more than the decoding itself)."""
_NINETEEN_DIGITS = b"0" * 19


def decode_json(body: bytes) -> Any:
    """A cart's JSON answer: orjson, several times faster than ``json`` on the large pages of a
    catalogue. Every answer is read as ``json`` reads it: what orjson refuses (NaN, 1e400)
    goes the slow way, and so does any answer with a run of 19 digits, since orjson turns an
    integer past 64 bits into a float where ``json`` keeps it exact. Raises ValueError (or
    UnicodeDecodeError / RecursionError) when it is not JSON."""
    if _NINETEEN_DIGITS not in body.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body.decode("utf-8"))


# -- the client -----------------------------------------------------------------------------
@dataclass(frozen=True)
class HttpAnswer:
    """A complete answer from the cart (the body is read, within the size limit)."""

    status: int
    headers: CaseInsensitiveDict[str]
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


ThrottleCheck = Callable[[HttpAnswer], float | None]
"""Given an answer, None when it is not a throttle answer, else the seconds to wait."""


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MB"
    return f"{count / 1024:g} KB"


def _not_sent(exc: BaseException) -> bool:
    """True when a ConnectionError happened before the request left this computer."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NewConnectionError | NameResolutionError | ConnectionRefusedError):
            return True
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
        stack.extend(a for a in current.args if isinstance(a, BaseException))
        if current.__cause__ is not None:
            stack.append(current.__cause__)
        if current.__context__ is not None:
            stack.append(current.__context__)
    return False


class HttpClient:
    """One cart's HTTP session (see the module docstring for the rules it enforces)."""

    def __init__(
        self,
        cart: CartInfo,
        *,
        logger: logging.Logger,
        timeout: float = DEFAULT_TIMEOUT,
        limiter: RateLimiter | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        max_body: int = MAX_BODY_BYTES,
        max_throttle_retries: int = MAX_THROTTLE_RETRIES,
        max_wait: float = MAX_WAIT,
        redactor: Redactor | None = None,
    ) -> None:
        self.cart = cart
        self.log = logger
        self.redact = redactor or redactor_for(cart)
        self.timeout = (min(CONNECT_TIMEOUT, timeout), timeout)
        if limiter is None:
            limiter = RateLimiter(clock=clock or time.monotonic, sleep=sleep or time.sleep)
        self.limiter = limiter
        self.max_body = max_body
        self.max_throttle_retries = max_throttle_retries
        self.max_wait = max_wait
        self.allow_http = option_flag(cart, "allow_http")
        self.check_url(cart.url)
        self.session = requests.Session()
        self.session.verify = True
        # Proxies from the environment, but never for loopback (the sandboxes, a local site).
        self.session.trust_env = not is_loopback(urlsplit(cart.url).hostname or "")
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=4, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = "SEOM-Desktop/0.1"

    def close(self) -> None:
        self.session.close()

    # -- checks ----------------------------------------------------------------------------
    def check_url(self, url: str) -> None:
        """Refuse what must never be contacted: non-HTTP schemes, plain http off loopback."""
        try:
            parts = urlsplit(url.strip())
            host = parts.hostname or ""
        except ValueError:
            raise CartError(
                f"{self.cart.name}: the cart URL {self.redact(url)!r} is not a valid URL",
                transient=False,
            ) from None
        if parts.scheme not in ("http", "https") or not host:
            raise CartError(
                f"{self.cart.name}: the cart URL must start with https:// "
                f"(got {self.redact(url)!r})",
                transient=False,
            )
        if parts.scheme == "http" and not is_loopback(host) and not self.allow_http:
            raise CartError(
                f"{self.cart.name}: refusing plain http:// to {host}: the credentials would "
                "travel unencrypted. Use https://, or set the cart option allow_http=true if "
                "this cart is on a trusted network",
                transient=False,
            )

    def error(self, message: str, **flags: Any) -> CartError:
        """A CartError about this cart, its message redacted, one printable line and at most
        :data:`MAX_MESSAGE` characters (a hostile answer must not flood a clerk's screen)."""
        return CartError(self.clean(f"{self.cart.name}: {message}", MAX_MESSAGE), **flags)

    # -- requests --------------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        mutating: bool,
        what: str,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        cost: float = 0.0,
        accept: Collection[int] = (),
        throttled: ThrottleCheck | None = None,
    ) -> HttpAnswer:
        """Send one request, waiting out throttling; return a 2xx answer (or one whose status
        is in ``accept``) or raise a CartError.

        ``mutating``: the request changes the cart (decides ``applied_unknown``). ``what``
        names the request in messages ("qohreplace of 50 items"). ``cost``: the expected
        bucket points (Shopify). ``throttled``: recognises a throttle answer that is not a 429
        (Shopify's HTTP 200 ``THROTTLED``) and says how long to wait.
        """
        self.check_url(url)
        if params:
            query = encode_query(params)
            if query:
                url = f"{url}{'&' if '?' in url else '?'}{query}"
        attempts = 0
        while True:
            delay = self.limiter.delay_for(cost)
            if delay > self.max_wait:
                raise self.error(
                    f"{what}: the cart asked us to wait {delay:.0f} s before the next request",
                    transient=True,
                    retry_after=min(delay, MAX_RETRY_AFTER),
                )
            self.limiter.wait(cost)
            answer = self._send(
                method,
                url,
                mutating=mutating,
                what=what,
                options={
                    "data": data,
                    "json": json_body,
                    "headers": dict(headers or {}),
                    "auth": auth,
                },
            )
            self.limiter.observe_headers(answer.headers)
            wait = self._throttle_wait(answer, throttled)
            if wait is None:
                break
            attempts += 1
            if attempts > self.max_throttle_retries or wait > self.max_wait:
                raise self.error(
                    f"the cart kept refusing {what}: too many requests (asked to wait {wait:g} s)",
                    status=answer.status,
                    transient=True,
                    retry_after=min(wait, MAX_RETRY_AFTER),
                )
            self.log.info(
                "%s: throttled on %s; waiting %.2f s (attempt %d)",
                self.cart.name,
                what,
                wait,
                attempts,
            )
            self.limiter.pause(wait)
        if 200 <= answer.status < 300 or answer.status in accept:
            return answer
        raise self.status_error(answer, what, mutating)

    def _throttle_wait(self, answer: HttpAnswer, throttled: ThrottleCheck | None) -> float | None:
        if throttled is not None:
            wait = throttled(answer)
            if wait is not None:
                return wait
        if answer.status == 429:
            retry = parse_retry_after(answer.headers.get("Retry-After"))
            if retry is None:
                reset = answer.headers.get("X-Rate-Limit-Time-Reset-Ms")
                try:
                    retry = bounded_wait(float(reset) / 1000.0) if reset is not None else None
                except ValueError:
                    retry = None
            return retry if retry is not None else 1.0
        return None

    def status_error(self, answer: HttpAnswer, what: str, mutating: bool) -> CartError:
        """The CartError for a non-2xx answer."""
        status = answer.status
        snippet = self.snippet(answer.text)
        retry = parse_retry_after(answer.headers.get("Retry-After"))
        if 300 <= status < 400:
            where = answer.headers.get("Location", "?")
            return self.error(
                f"{what}: the cart answered with a redirect (HTTP {status}) to {where}; "
                "correct the cart URL (redirects are not followed)",
                status=status,
                transient=False,
            )
        if status in (401, 403):
            return self.error(
                f"{what}: the cart refused the credentials (HTTP {status}): {snippet}",
                status=status,
                transient=False,
            )
        if status == 404:
            return self.error(
                f"{what}: not found on the cart (HTTP 404); check the cart URL: {snippet}",
                status=status,
                transient=False,
            )
        if status in (502, 504):
            return self.error(
                f"{what}: the cart's gateway gave up waiting (HTTP {status})"
                + ("; the change may have been applied" if mutating else ""),
                status=status,
                transient=True,
                retry_after=retry,
                applied_unknown=mutating,
            )
        if status >= 500 or status in (408, 429):
            return self.error(
                f"{what}: the cart failed (HTTP {status}): {snippet}",
                status=status,
                transient=True,
                retry_after=retry,
            )
        return self.error(
            f"{what}: the cart refused the request (HTTP {status}): {snippet}",
            status=status,
            transient=False,
        )

    def snippet(self, text: str, limit: int = 300) -> str:
        """A short, redacted, one-line excerpt of a cart's answer for a message."""
        return self.clean(text, limit) or "(empty answer)"

    def clean(self, text: object, limit: int = 300) -> str:
        """``text`` as one printable, redacted line of at most ``limit`` characters (and
        ``...``): for anything a cart said that goes into a message.

        Redaction comes before the cut, so a cut never leaves half a secret behind; only a
        prefix long enough for that is redacted, not a whole megabyte answer.
        """
        flat = " ".join(str(text).split())
        margin = limit + self.redact.longest + 64
        size = 2 * margin
        while True:
            part = "".join(c if c.isprintable() else "?" for c in flat[:size])
            clean = self.redact(part)
            if size >= len(flat) or len(clean) > margin:
                break
            size *= 4
        if len(clean) > limit:
            clean = clean[:limit] + "..."
        return clean

    def _send(
        self, method: str, url: str, *, mutating: bool, what: str, options: dict[str, Any]
    ) -> HttpAnswer:
        host = urlsplit(url).hostname or url
        maybe = "; the change may have been applied" if mutating else ""
        try:
            response = self.session.request(
                method,
                url,
                **options,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
        except requests.exceptions.ConnectTimeout:
            raise self.error(
                f"{what}: could not connect to {host} within {self.timeout[0]:g} s",
                transient=True,
            ) from None
        except requests.exceptions.ReadTimeout:
            raise self.error(
                f"{what}: no answer from {host} within {self.timeout[1]:g} s{maybe}",
                transient=True,
                applied_unknown=mutating,
            ) from None
        except requests.exceptions.SSLError as exc:
            raise self.error(
                f"{what}: the secure connection to {host} failed (certificate not trusted or "
                f"TLS error): {self.snippet(str(exc), 200)}",
                transient=False,
            ) from None
        except requests.exceptions.ConnectionError as exc:
            if _not_sent(exc):
                raise self.error(
                    f"{what}: cannot reach {host} (connection refused or unknown host)",
                    transient=True,
                ) from None
            raise self.error(
                f"{what}: the connection to {host} was lost before an answer came{maybe}",
                transient=True,
                applied_unknown=mutating,
            ) from None
        except requests.exceptions.RequestException as exc:
            raise self.error(
                f"{what}: the request could not be made: {self.snippet(str(exc), 200)}",
                transient=False,
            ) from None
        try:
            body = self._read_body(response, what, mutating, host)
        finally:
            response.close()
        return HttpAnswer(response.status_code, response.headers, body, url)

    def _read_body(
        self, response: requests.Response, what: str, mutating: bool, host: str
    ) -> bytes:
        maybe = "; the change may have been applied" if mutating else ""

        def too_big() -> CartError:  # built only when needed: redaction costs per request
            return self.error(
                f"{what}: the cart's answer is larger than {_size(self.max_body)} "
                f"and was refused{maybe}",
                status=response.status_code,
                transient=True,
                applied_unknown=mutating,
            )

        declared = response.headers.get("Content-Length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_body:
            raise too_big()
        buffer = bytearray()
        try:
            for chunk in response.iter_content(chunk_size=64 * 1024):
                buffer.extend(chunk)
                if len(buffer) > self.max_body:
                    raise too_big()
        except (requests.exceptions.RequestException, OSError):
            raise self.error(
                f"{what}: the answer from {host} was cut off{maybe}",
                status=response.status_code,
                transient=True,
                applied_unknown=mutating,
            ) from None
        return bytes(buffer)

    # -- decoding --------------------------------------------------------------------------
    def json(self, answer: HttpAnswer, what: str, *, mutating: bool) -> Any:
        """The answer as JSON; an unreadable answer to a change leaves its outcome unknown."""
        try:
            return decode_json(answer.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            maybe = "; the change may have been applied" if mutating else ""
            raise self.error(
                f"{what}: the cart's answer is not valid JSON{maybe}: "
                f"{self.snippet(answer.text, 120)}",
                status=answer.status,
                transient=True,
                applied_unknown=mutating,
            ) from None

    def xml(self, text: str, what: str, *, mutating: bool) -> Element:
        """Parse XML from a cart with defusedxml (no entities, no external references)."""
        try:
            root: Element = SafeET.fromstring(text.strip().encode("utf-8"))
        except (SafeET.ParseError, ValueError, RecursionError) as exc:
            maybe = "; the change may have been applied" if mutating else ""
            raise self.error(
                f"{what}: the cart's answer is not valid XML ({exc}){maybe}: "
                f"{self.snippet(text, 120)}",
                transient=True,
                applied_unknown=mutating,
            ) from None
        return root


class HttpConnector(Connector):
    """A connector that talks HTTP through one :class:`HttpClient` (all of ours do).

    ``capabilities`` come from the one capability table (``carts/platforms.py``).
    ``clock``/``sleep``/``limiter`` are for tests and benchmarks (a sandbox's fake clock).
    """

    platform: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.platform:
            cls.capabilities = platform(cls.platform).capabilities

    def __init__(
        self,
        cart: CartInfo,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        limiter: RateLimiter | None = None,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        super().__init__(cart, timeout=timeout)
        self.log = logging.getLogger(f"seom_desktop.carts.{self.platform}")
        self.http = HttpClient(
            cart,
            logger=self.log,
            timeout=timeout,
            limiter=limiter,
            clock=clock,
            sleep=sleep,
            max_body=max_body,
        )
        self.redact = self.http.redact

    def close(self) -> None:
        self.http.close()
