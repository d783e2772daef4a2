"""Sending one webhook: where it may go, how it is signed, and the HTTP request itself.

Where it may go. An endpoint's address must be `https://` and its host must resolve only to public
addresses: never private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback (127/8, ::1),
link-local (169.254/16, where cloud metadata services listen; fe80::/10), multicast, reserved or
unspecified ones. The host is resolved when the endpoint is registered and again at every
delivery, and the request goes to the very address that was checked (the connection is pinned to
it; TLS still verifies the certificate against the host's name), so a name that resolves to a
public address at registration and to 127.0.0.1 later (DNS rebinding) is refused, not followed.
An IPv6 address that carries an IPv4 one (IPv4-mapped ::ffff:0:0/96, 6to4 2002::/16, Teredo
2001::/32) is refused unless the IPv4 address it carries is public too: Python 3.11 counts 6to4 as
global, yet 2002:a9fe:a9fe::1 is 169.254.169.254 through a 6to4 relay. The admin is told only that
the address is not public or could not be reached, never what the host resolved to, nor whether it
resolved at all (which would let an authority admin map the operator's internal network): the
detail goes to the server's log. WEBHOOKS_ALLOW_PRIVATE (for tests and local development only)
lifts the address check and allows `http://`.

How it is signed. Every request carries

    Content-Type: application/json
    X-IQM-Event: cycle.moved            (the event's type)
    X-IQM-Delivery: <uuid>              (this delivery; the same on every retry of it)
    X-IQM-Signature: t=<unix seconds>,v1=<hex>

where <hex> is HMAC-SHA256, keyed with the endpoint's secret (the whole string, UTF-8), of
"<t>.<body>": the timestamp, a full stop, and the request body's bytes exactly as received. To
check one: split the header on "," and "=", recompute the HMAC over f"{t}.".encode() + body,
compare with `hmac.compare_digest`, and refuse a `t` more than five minutes from your clock (a
replayed request). The body's `id` is the event's id: an event retried, or sent again by hand,
keeps its id, so a receiver that has seen it may ignore it.

The request: one POST, a 5-second timeout to connect and to each read, and DEADLINE (10 seconds)
for the whole attempt, counted across every read (a receiver trickling its answer a byte at a time
is cut off there, not after minutes); no redirect followed (a 3xx is a failed attempt), and no
more than the first 500 characters of the answer kept.
"""

import hashlib
import hmac
import http.client
import io
import ipaddress
import json
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

log = logging.getLogger(__name__)
TIMEOUT = 5  # seconds, to connect and for each read
DEADLINE = 10  # seconds for the whole attempt: connecting, sending and every read of the answer
NOT_PUBLIC = (
    "This address is private, not on the public internet, or could not be reached: use an https "
    "address of a public server."
)
EXCERPT = 500  # characters of the answer kept
USER_AGENT = "IQM-Portal-Webhooks/1"


class Refused(Exception):
    """The address may not be sent to; the message says why, for the admin."""


def allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", False))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope id ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        else:
            carried = [ip.sixtofour] if ip.sixtofour else list(ip.teredo or ())
            if not all(_public(str(ipv4)) for ipv4 in carried):
                return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with its query
    address: str  # the IP address checked, which the connection goes to


def check(url: str) -> Target:
    """The address to send to, resolved and checked; Refused, with the reason, if it may not be."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("Enter a web address such as https://example.org/iqm-events.") from None
    schemes = ("https", "http") if allow_private() else ("https",)
    if parts.scheme not in schemes:
        raise Refused("The address must start with https:// (events are only sent encrypted).")
    if not parts.hostname:
        raise Refused("Enter a web address such as https://example.org/iqm-events.")
    if parts.username or parts.password:
        raise Refused(
            "Leave the user name and password out of the address: check the signature instead."
        )
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        log.warning("Webhook address refused: %r not resolved (%s).", parts.hostname, error)
        raise Refused(NOT_PUBLIC) from None
    addresses = [info[4][0] for info in found]
    if not addresses:
        log.warning("Webhook address refused: %r resolved to no address.", parts.hostname)
        raise Refused(NOT_PUBLIC)
    if not allow_private():
        for address in addresses:
            if not _public(address):
                log.warning(
                    "Webhook address refused: %r is at %s, not a public address.",
                    parts.hostname,
                    address,
                )
                raise Refused(NOT_PUBLIC)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-IQM-Signature header's value for this body at this time."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300, now=None) -> bool:
    """What a receiver does (in Python): True if the header signs this body, recently."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).rsplit("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the answer's status, None if there was none
    error: str  # empty if delivered
    excerpt: str  # the start of the answer
    final: bool = False  # not to be tried again

    @property
    def delivered(self) -> bool:
        return not self.error


class TooSlow(TimeoutError):
    """The attempt's DEADLINE passed before the answer was read."""


class _Reader(io.RawIOBase):
    """The answer's bytes, read from the socket until the attempt's deadline and no later: each
    read may wait TIMEOUT at most, and never past the deadline."""

    def __init__(self, sock, deadline):
        self.sock, self.deadline = sock, deadline
        self.raw = sock.makefile("rb", buffering=0)  # keeps the socket open while it is read

    def readable(self):
        return True

    def readinto(self, buffer):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TooSlow
        self.sock.settimeout(min(TIMEOUT, left))
        try:
            return self.raw.readinto(buffer)
        except TimeoutError:
            if time.monotonic() >= self.deadline:
                raise TooSlow from None
            raise

    def close(self):
        self.raw.close()
        super().close()


class _Socket:
    """What http.client's response reads from: the socket, through a _Reader."""

    def __init__(self, sock, deadline):
        self.sock, self.deadline = sock, deadline

    def makefile(self, mode, *args, **kwargs):
        return io.BufferedReader(_Reader(self.sock, self.deadline))


def post(url: str, secret: str, event: str, delivery_id: str, payload: dict) -> Outcome:
    """Send once; never raises (what went wrong is the outcome's error)."""
    deadline = time.monotonic() + DEADLINE
    try:
        target = check(url)
    except Refused as refusal:
        return Outcome(None, str(refusal), "")
    body = body_of(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-IQM-Event": event,
        "X-IQM-Delivery": delivery_id,
        "X-IQM-Signature": signature(secret, int(time.time()), body),
    }
    timeout = max(0.1, min(TIMEOUT, deadline - time.monotonic()))
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def pinned(address, timeout, source_address=None):  # to the address checked, not a new lookup
        return socket.create_connection((target.address, address[1]), timeout, source_address)

    def response(sock, *args, **kwargs):  # read under the attempt's deadline
        return http.client.HTTPResponse(_Socket(sock, deadline), *args, **kwargs)

    connection._create_connection = pinned
    connection.response_class = response
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        answer = connection.getresponse()
        excerpt = answer.read(EXCERPT * 4).decode("utf-8", "replace")[:EXCERPT]
        status = answer.status
    except TooSlow:
        return Outcome(
            None, f"No complete answer within {DEADLINE} s: the attempt was stopped.", ""
        )
    except (OSError, http.client.HTTPException) as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:2000], "")
    finally:
        connection.close()
    if 200 <= status < 300:
        return Outcome(status, "", excerpt)
    if 300 <= status < 400:
        return Outcome(status, f"Answered {status}: redirects are not followed.", excerpt)
    return Outcome(status, f"Answered {status}.", excerpt)
