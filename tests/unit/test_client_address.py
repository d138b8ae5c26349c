"""Only a valid IP address becomes a client address; one address always has one spelling (so one hash); and
X-Forwarded-For is believed only from the trusted proxy."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mostread.visitor import PROXY_SECRET_HEADER, VIEWER_ADDRESS_HEADER, client_ip, normalised_ip

SOURCE = "192.0.2.1"  # the API's source IP: the fallback
SECRET = "s3cr3t-from-cloudfront"


def through_proxy(hop: str, hops: int = 1, **headers: str) -> str:
    return client_ip(SOURCE, {"x-forwarded-for": hop, **headers}, hops)


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("198.51.100.1", "198.51.100.1"),
        ("10.0.0.1, 198.51.100.1", "198.51.100.1"),  # the last hop: the one the proxy appended
        ("10.0.0.1,198.51.100.1", "198.51.100.1"),
        ("\t198.51.100.1 ", "198.51.100.1"),  # optional whitespace around list elements (RFC 9110)
        ("10.0.0.1,  198.51.100.1" + " " * 100, "198.51.100.1"),
        ("::ffff:198.51.100.1", "198.51.100.1"),  # IPv4-mapped IPv6 is the IPv4 address
        ("::FFFF:C633:6401", "198.51.100.1"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),  # compressed, lower-case
        ("2001:db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),  # no zone id
        ("fe80::1%25", "fe80::1"),
    ],
)
def test_the_last_hop_in_its_one_canonical_form(forwarded: str, expected: str) -> None:
    assert through_proxy(forwarded) == expected


HOSTILE_HOPS = [
    "",
    " ",
    "unknown",
    "garbage",
    "<script>alert(1)</script>",
    "198.51.100.1; DROP TABLE views",
    "198.51.100.1\r\nx-injected: 1",
    "198.51.100.1\x00",
    "198.51.100.1:8080",  # ip:port
    "[2001:db8::1]",  # brackets
    "[2001:db8::1]:443",
    "256.1.1.1",
    "198.051.100.1",  # leading zeros: octal in some parsers
    "0x7f.1",
    "2130706433",  # an integer is an address to some parsers
    "١٩٨.٥١.١٠٠.١",  # Arabic-Indic digits
    "１９８.５１.１００.１",  # fullwidth digits
    "198.51.100.1\u200b",  # zero-width space
    "198.51.100.1 198.51.100.2",
    "2001:db8::1::2",
    "::ffff:999.1.1.1",
    "fe80::1%",
    "x" * 10_000,
    "1" * 1_000_000,
]


@pytest.mark.parametrize("hop", HOSTILE_HOPS)
def test_a_hop_that_is_not_an_address_falls_back_to_the_source_ip(hop: str) -> None:
    assert through_proxy(hop) == SOURCE
    assert through_proxy(f"203.0.113.9, {hop}") == SOURCE  # never an earlier, client-written hop either


def test_without_a_trusted_proxy_the_header_is_ignored() -> None:
    assert through_proxy("198.51.100.1", hops=0) == SOURCE
    assert client_ip(SOURCE, {}, 1) == SOURCE
    assert client_ip("::ffff:192.0.2.1", {}, 0) == SOURCE  # the source IP is normalised too


def test_with_a_secret_only_the_proxy_is_believed() -> None:
    headers = {"x-forwarded-for": "198.51.100.1"}
    assert client_ip(SOURCE, {**headers, PROXY_SECRET_HEADER: SECRET}, 1, SECRET) == "198.51.100.1"
    assert client_ip(SOURCE, headers, 1, SECRET) == SOURCE  # sent to the API directly
    for wrong in ("", "s3cr3t", SECRET + "x", SECRET.upper(), " " + SECRET, "비밀", "\udcff", SECRET + "\x00"):
        assert client_ip(SOURCE, {**headers, PROXY_SECRET_HEADER: wrong}, 1, SECRET) == SOURCE, wrong
    # the secret does not make a hostile hop an address
    assert client_ip(SOURCE, {"x-forwarded-for": "junk", PROXY_SECRET_HEADER: SECRET}, 1, SECRET) == SOURCE
    # without a trusted hop the secret changes nothing
    assert client_ip(SOURCE, {**headers, PROXY_SECRET_HEADER: SECRET}, 0, SECRET) == SOURCE


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("198.51.100.7:46532", "198.51.100.7"),
        ("2001:db8::7:46532", "2001:db8::7"),  # CloudFront writes IPv6 without brackets, the port after the last colon
        ("[2001:db8::7]:46532", "2001:db8::7"),
        ("junk:80", "198.51.100.1"),  # not an address: the X-Forwarded-For hop
        ("", "198.51.100.1"),
    ],
)
def test_cloudfronts_viewer_address_comes_first(viewer: str, expected: str) -> None:
    """Behind CloudFront the tracker prefers CloudFront-Viewer-Address to the last X-Forwarded-For hop: API
    Gateway might append a hop of its own after CloudFront's."""
    headers = {"x-forwarded-for": "10.0.0.9, 198.51.100.1", PROXY_SECRET_HEADER: SECRET, VIEWER_ADDRESS_HEADER: viewer}
    assert client_ip(SOURCE, headers, 1, SECRET) == expected
    # sent to the API directly, the header is anyone's word
    assert client_ip(SOURCE, {**headers, PROXY_SECRET_HEADER: "guess"}, 1, SECRET) == SOURCE


@given(hop=st.text(max_size=200))
def test_any_text_becomes_the_source_ip_or_a_canonical_address(hop: str) -> None:
    result = through_proxy(hop)
    assert result == SOURCE or result == str(ipaddress.ip_address(result))
    assert normalised_ip(result) == result
    if result != SOURCE:
        assert normalised_ip(hop.strip(" \t")) == result


@given(hop=st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=60).filter(lambda t: "," not in t))
def test_a_hop_that_the_ipaddress_module_refuses_is_never_used(hop: str) -> None:
    try:
        ipaddress.ip_address(hop.strip(" \t"))
    except ValueError:
        assert through_proxy(hop) == SOURCE


@given(address=st.ip_addresses(v=4))
def test_one_ipv4_address_has_one_spelling(address: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    spellings = {str(address), f"::ffff:{address}", str(mapped), mapped.exploded, mapped.exploded.upper()}
    assert {through_proxy(spelling) for spelling in spellings} == {str(address)}


@given(address=st.ip_addresses(v=6), zone=st.sampled_from(["", "%eth0", "%1"]))
def test_one_ipv6_address_has_one_spelling(address: ipaddress.IPv6Address, zone: str) -> None:
    expected = str(address.ipv4_mapped or address)
    for spelling in (str(address), address.exploded, address.exploded.upper(), str(address).upper()):
        assert through_proxy(spelling + zone) == expected


@given(given_secret=st.text(max_size=80))
def test_only_the_exact_secret_opens_the_header(given_secret: str) -> None:
    headers = {"x-forwarded-for": "198.51.100.1", PROXY_SECRET_HEADER: given_secret}
    expected = "198.51.100.1" if given_secret == SECRET else SOURCE
    assert client_ip(SOURCE, headers, 1, SECRET) == expected


@given(text=st.text(alphabet="0123456789.٣ x", max_size=20))
def test_the_ipv4_shortcut_answers_as_the_ipaddress_module(text: str) -> None:
    """normalised_ip returns dotted quads as they are, without parsing them; only when ipaddress writes them so."""
    try:
        expected: str | None = str(ipaddress.ip_address(text))
    except ValueError:
        expected = None
    assert normalised_ip(text) == expected


@pytest.mark.parametrize(
    "text", ["0.0.0.0", "255.255.255.255", "10.0.0.1", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4."]
)
def test_the_ipv4_shortcut_at_its_edges(text: str) -> None:
    try:
        expected: str | None = str(ipaddress.ip_address(text))
    except ValueError:
        expected = None
    assert normalised_ip(text) == expected
