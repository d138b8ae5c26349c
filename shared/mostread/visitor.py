"""Cookieless visitor identity: keyed hashes with a random salt that rotates daily. No raw IP survives."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Mapping
from functools import cache, lru_cache

from mostread.caches import remembered

VIEWER_ADDRESS_HEADER = "cloudfront-viewer-address"  # "198.51.100.10:46532", "2001:db8::1:46532"
PROXY_SECRET_HEADER = "x-mostread-proxy-secret"  # noqa: S105 - the header's name, not a secret
# The longest text form of an IPv6 address is 45 characters; with a zone id a little more. Anything longer is not
# an address, and is refused before the parser sees it.
MAX_ADDRESS_LENGTH = 64


def visitor_hash(salt: bytes, client_ip: str, user_agent: str) -> str:
    return _hmac(salt, f"v\x00{client_ip}\x00{user_agent}".encode())


def address_hash(salt: bytes, client_ip: str) -> str:
    """The address alone, for per-address rules (caps) applied at counting time."""
    return _hmac(salt, f"a\x00{client_ip}".encode())


def _hmac(salt: bytes, message: bytes) -> str:
    keyed = _keyed(salt).copy()  # the same HMAC-SHA256 as hmac.new(salt, message), without keying it again
    keyed.update(message)
    return keyed.hexdigest()[:16]


@remembered
def _forget_keys() -> None:
    _keyed.cache_clear()


# The salt's keyed state, built once per day instead of twice per request. Two days at most: when a day's salt is
# gone from the container (mostread.dal.salts), so soon is its key.
@lru_cache(maxsize=2)
def _keyed(salt: bytes) -> hmac.HMAC:
    return hmac.new(salt, digestmod=hashlib.sha256)


def event_key(event_id: str | None, visitor: str, article_id: str, slot: int) -> str:
    """The key a view is recorded under; a second write with the same key is a duplicate.

    With an ``event_id`` the key is the id itself, so a retry is recognised whenever and from wherever
    it arrives. Without one, the key is the visitor, article and dedupe slot.
    """
    if event_id:
        return "e:" + event_id
    digest = hashlib.sha256(f"{visitor}\x00{article_id}\x00{slot}".encode()).hexdigest()[:24]
    return "v:" + digest


def normalised_ip(text: str) -> str | None:
    """``text`` in one canonical form per address, or None when it is not an IP address.

    IPv4-mapped IPv6 (``::ffff:198.51.100.7``) becomes the IPv4 address, IPv6 is compressed and lower-case and
    loses its zone id (``fe80::1%eth0``), so one address always has one hash. Ports, brackets, leading zeros,
    non-ASCII digits and whitespace are refused (the ``ipaddress`` module's grammar).
    """
    if not text or len(text) > MAX_ADDRESS_LENGTH:
        return None
    if _canonical_ipv4(text):  # most readers: already the one form, no need for an address object
        return text
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Address(address.packed))  # from the bytes: without the zone id
    return str(address)


def _canonical_ipv4(text: str) -> bool:
    """Whether ``text`` is dotted-quad IPv4 exactly as ``str(ipaddress.IPv4Address(text))`` writes it: four ASCII
    decimal octets up to 255, without leading zeros (which the ipaddress grammar refuses)."""
    return _dotted_quad().fullmatch(text) is not None


@cache
def _dotted_quad() -> re.Pattern[str]:  # compiled on first use, not on every cold start's import
    octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
    return re.compile(rf"{octet}(?:\.{octet}){{3}}")


def client_ip(source_ip: str, headers: Mapping[str, str], trusted_proxy_hops: int, proxy_secret: str = "") -> str:
    """The address a request is counted from, normalised.

    The API's source IP, or the last X-Forwarded-For hop when one trusted proxy (CloudFront) sits in front: that
    hop is the one the proxy appended, the ones before it are whatever the client sent. With ``proxy_secret`` set,
    the header is trusted only on requests that carry it in ``x-mostread-proxy-secret`` (CloudFront adds it as an
    origin header), so a request sent to the API directly cannot choose its address.

    When the hop is not an IP address the source IP is used: it is the address that actually connected, which no
    client can forge (behind CloudFront, the edge's address, shared with the other requests it forwards).
    """
    source = normalised_ip(source_ip) or source_ip
    if not trusted_proxy_hops or not _from_trusted_proxy(headers, proxy_secret):
        return source
    # CloudFront's own header (ip:port) first: it names the reader whatever hops API Gateway may append
    viewer = headers.get(VIEWER_ADDRESS_HEADER, "").rpartition(":")[0].strip("[]")
    if viewer and (address := normalised_ip(viewer)):
        return address
    last_hop = headers.get("x-forwarded-for", "").rsplit(",", 1)[-1].strip(" \t")
    return normalised_ip(last_hop) or source


def _from_trusted_proxy(headers: Mapping[str, str], proxy_secret: str) -> bool:
    if not proxy_secret:
        return True
    given = headers.get(PROXY_SECRET_HEADER, "")
    # bytes: compare_digest refuses non-ASCII str, and a header may hold anything
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), proxy_secret.encode("utf-8", "surrogatepass"))
