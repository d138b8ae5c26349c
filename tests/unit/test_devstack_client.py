"""The ops commands' HTTP client: SigV4 signing for the IAM-authorised catalog routes of a deployed API."""

from __future__ import annotations

import pytest
from mostread_dev.api_client import ApiClient, ApiUnavailable, SigV4Signer, region_of_url


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")


def test_region_comes_from_an_execute_api_url() -> None:
    assert region_of_url("https://abc123.execute-api.ap-northeast-2.amazonaws.com/") == "ap-northeast-2"
    assert region_of_url("https://api.news.example.kr") is None


def test_requests_are_signed_for_execute_api(credentials: None) -> None:
    signer = SigV4Signer("ap-northeast-2")
    url = "https://abc123.execute-api.ap-northeast-2.amazonaws.com/v1/articles/a1"
    headers = signer.headers("PUT", url, b'{"title":"t"}', {"content-type": "application/json"})
    authorization = headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/ap-northeast-2/execute-api/aws4_request" in authorization
    assert "content-type" in authorization.split("SignedHeaders=")[1]
    assert headers["X-Amz-Date"]


def test_the_default_region_is_used_without_one_in_the_url(credentials: None) -> None:
    assert SigV4Signer(None).region == "eu-west-1"


def test_only_http_urls_are_accepted() -> None:
    with pytest.raises(ValueError, match="http"):
        ApiClient("file:///etc/passwd")


def test_an_unreachable_api_raises_api_unavailable() -> None:
    with pytest.raises(ApiUnavailable):
        ApiClient("http://127.0.0.1:9", timeout=2).get("/v1/rankings")
