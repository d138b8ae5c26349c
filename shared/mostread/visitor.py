"""Cookieless visitor identity: keyed hashes with a random salt that rotates daily. No raw IP survives."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping


def visitor_hash(salt: bytes, client_ip: str, user_agent: str) -> str:
    return hmac.new(salt, f"v\x00{client_ip}\x00{user_agent}".encode(), hashlib.sha256).hexdigest()[:16]


def address_hash(salt: bytes, client_ip: str) -> str:
    """The address alone, for per-address rules (caps) applied at counting time."""
    return hmac.new(salt, f"a\x00{client_ip}".encode(), hashlib.sha256).hexdigest()[:16]


def event_key(event_id: str | None, visitor: str, article_id: str, slot: int) -> str:
    """The key a view is recorded under; a second write with the same key is a duplicate.

    With an ``event_id`` the key is the id itself, so a retry is recognised whenever and from wherever
    it arrives. Without one, the key is the visitor, article and dedupe slot.
    """
    if event_id:
        return "e:" + event_id
    digest = hashlib.sha256(f"{visitor}\x00{article_id}\x00{slot}".encode()).hexdigest()[:24]
    return "v:" + digest


def client_ip(source_ip: str, headers: Mapping[str, str], trusted_proxy_hops: int) -> str:
    """The API's source IP, or the last X-Forwarded-For hop when one trusted proxy sits in front."""
    if trusted_proxy_hops:
        forwarded = headers.get("x-forwarded-for", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return source_ip
