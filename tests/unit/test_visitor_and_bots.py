import pytest
from mostread.bots import ignore_reason
from mostread.visitor import address_hash, client_ip, event_key, visitor_hash

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def test_visitor_hash_depends_on_salt_ip_and_agent_and_hides_the_ip():
    salt = b"s" * 32
    one = visitor_hash(salt, "203.0.113.7", CHROME)
    assert one == visitor_hash(salt, "203.0.113.7", CHROME)
    assert one != visitor_hash(b"t" * 32, "203.0.113.7", CHROME)
    assert one != visitor_hash(salt, "203.0.113.8", CHROME)
    assert one != visitor_hash(salt, "203.0.113.7", CHROME + "x")
    assert "203.0.113.7" not in one and len(one) == 16
    assert address_hash(salt, "203.0.113.7") != one


def test_event_key_prefers_the_event_id():
    assert event_key("abcdefgh12", "v", "a", 0) == "e:abcdefgh12"
    no_id = event_key(None, "v", "a", 0)
    assert no_id.startswith("v:")
    assert no_id == event_key(None, "v", "a", 0)
    assert no_id != event_key(None, "v", "a", 1800)
    assert no_id != event_key(None, "w", "a", 0)


@pytest.mark.parametrize(
    ("forwarded", "hops", "expected"),
    [
        ("198.51.100.1", 1, "198.51.100.1"),
        ("10.0.0.1, 198.51.100.1", 1, "198.51.100.1"),
        ("198.51.100.1", 0, "192.0.2.1"),
        ("", 1, "192.0.2.1"),
    ],
)
def test_client_ip(forwarded, hops, expected):
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    assert client_ip("192.0.2.1", headers, hops) == expected


@pytest.mark.parametrize(
    ("agent", "headers", "reason"),
    [
        (CHROME, {}, None),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", {}, "crawler"),
        ("Mozilla/5.0 (compatible; Yeti/1.1; +http://naver.me/spd)", {}, "crawler"),
        ("python-requests/2.32", {}, "crawler"),
        ("", {}, "no_user_agent"),
        (CHROME, {"sec-purpose": "prefetch;prerender"}, "prefetch"),
        (CHROME, {"purpose": "prefetch"}, "prefetch"),
        (CHROME, {"x-moz": "prefetch"}, "prefetch"),
    ],
)
def test_ignore_reasons(agent, headers, reason):
    assert ignore_reason(agent, headers) == reason


def test_the_hashes_are_hmac_sha256_of_the_salt_whatever_the_keyed_cache_holds():
    """The salt's keyed state is cached (two days): every hash is still the plain HMAC, salts alternating."""
    import hashlib
    import hmac

    from mostread import caches

    def plain(salt: bytes, message: str) -> str:
        return hmac.new(salt, message.encode(), hashlib.sha256).hexdigest()[:16]

    salts = [bytes([n]) * 32 for n in range(4)]
    for salt in [*salts, *reversed(salts), salts[0], salts[0]]:
        assert visitor_hash(salt, "203.0.113.7", CHROME) == plain(salt, f"v\x00203.0.113.7\x00{CHROME}")
        assert address_hash(salt, "203.0.113.7") == plain(salt, "a\x00203.0.113.7")
    caches.reset()
    assert visitor_hash(salts[1], "2001:db8::1", "") == plain(salts[1], "v\x002001:db8::1\x00")
