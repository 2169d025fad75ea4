"""Client ID Metadata Documents fetched from a real loopback server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pluginlab_tui.access.cimd import MAX_BYTES, ClientDocuments, is_document_url
from pluginlab_tui.access.oauth_errors import OAuthError
from tests.access.helpers import DocumentServer

CALLBACK = "https://chatgpt.com/connector_platform_oauth_redirect"


@pytest.fixture
def docs() -> Iterator[DocumentServer]:
    with DocumentServer() as server:
        yield server


def test_which_client_ids_are_document_urls() -> None:
    assert is_document_url("https://chatgpt.com/oauth/abc/client.json")
    assert is_document_url("http://127.0.0.1:9000/client.json")  # development: loopback http
    assert is_document_url("http://localhost:9000/c")
    for other in (
        "https://chatgpt.com",
        "https://chatgpt.com/",
        "http://example.com/client.json",
        "plid_0123",
        "pluginlab-dev-client",
        "https://h/c#frag",
    ):
        assert not is_document_url(other), other


async def test_a_good_document_names_a_public_client_and_is_kept(docs: DocumentServer) -> None:
    url = docs.url + "/client.json"
    docs.serve(
        "/client.json", {"client_id": url, "client_name": "app", "redirect_uris": [CALLBACK]}
    )
    documents = ClientDocuments()
    await documents.load(url)
    await documents.load(url)
    client = documents.get(url)
    assert (client.client_id, client.public, client.redirect_uris) == (url, True, (CALLBACK,))
    assert docs.hits["/client.json"] == 1  # the second load used the kept copy


async def test_no_store_is_fetched_again(docs: DocumentServer) -> None:
    url = docs.url + "/c"
    docs.serve(
        "/c", {"client_id": url, "redirect_uris": [CALLBACK]}, headers={"Cache-Control": "no-store"}
    )
    now = [0.0]
    documents = ClientDocuments(clock=lambda: now[0])
    await documents.load(url)
    assert documents.get(url).client_id == url
    now[0] += 2
    await documents.load(url)
    assert docs.hits["/c"] == 2


@pytest.mark.parametrize(
    ("document", "status", "problem"),
    [
        (
            {"client_id": "https://elsewhere/c.json", "redirect_uris": [CALLBACK]},
            200,
            "not its URL",
        ),
        ({"client_id": "SELF"}, 200, "lists no redirect_uris"),
        (b"<html>", 200, "is not JSON"),
        (b"[1]", 200, "not an object"),
        ({}, 404, "answered 404"),
        (b"{" + b" " * MAX_BYTES + b"}", 200, "is over"),
    ],
)
async def test_a_bad_document_is_refused_saying_why(
    docs: DocumentServer, document: object, status: int, problem: str
) -> None:
    url = docs.url + "/bad.json"
    if isinstance(document, dict) and document.get("client_id") == "SELF":
        document = {"client_id": url}
    docs.serve("/bad.json", document, status=status)
    documents = ClientDocuments()
    await documents.load(url)
    with pytest.raises(OAuthError, match=problem) as refused:
        documents.get(url)
    assert refused.value.error == "invalid_client"


async def test_an_unreachable_document_is_refused(docs: DocumentServer) -> None:
    documents = ClientDocuments()
    url = "http://127.0.0.1:9/client.json"  # the discard port: nothing listens
    await documents.load(url)
    with pytest.raises(OAuthError, match="cannot fetch"):
        documents.get(url)
    with pytest.raises(OAuthError, match="was not fetched"):
        documents.get(docs.url + "/never-loaded")
