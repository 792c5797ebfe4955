from __future__ import annotations

from dispatcher.hygiene import clean_request_headers, clean_response_headers, forwarding_headers


def test_request_headers() -> None:
    headers = [
        (b"Host", b"portal.example"),
        (b"Accept", b"text/html"),
        (b"Cookie", b"__Host-sb=secret"),
        (b"Authorization", b"Bearer sbt_x"),
        (b"X-Switchboard-Assertion", b"forged"),
        (b"x-switchboard-anything", b"forged"),
        (b"X-Request-Id", b"client"),
        (b"X-Forwarded-For", b"6.6.6.6"),
        (b"X-Forwarded-Proto", b"http"),
        (b"X-Forwarded-Host", b"evil.example"),
        (b"Forwarded", b"for=6.6.6.6"),
        (b"X-Real-IP", b"6.6.6.6"),
        (b"Connection", b"keep-alive, X-Secret-Hop"),
        (b"X-Secret-Hop", b"1"),
        (b"Keep-Alive", b"timeout=5"),
        (b"Proxy-Authorization", b"Basic eA=="),
        (b"Proxy-Connection", b"keep-alive"),
        (b"TE", b"trailers"),
        (b"Trailer", b"Expires"),
        (b"Transfer-Encoding", b"chunked"),
        (b"Upgrade", b"websocket"),
        (b"HX-Request", b"true"),
        (b"X-CSRF-Token", b"t"),
        (b"Content-Type", b"application/json"),
    ]
    assert clean_request_headers(headers) == [
        (b"host", b"portal.example"),
        (b"accept", b"text/html"),
        (b"hx-request", b"true"),
        (b"x-csrf-token", b"t"),
        (b"content-type", b"application/json"),
    ]


def test_response_headers() -> None:
    headers = [
        (b"content-type", b"text/html"),
        (b"Set-Cookie", b"sid=1"),
        (b"set-cookie", b"other=2"),
        (b"connection", b"close, x-hop"),
        (b"x-hop", b"1"),
        (b"transfer-encoding", b"chunked"),
        (b"x-switchboard-page", b"Users"),
        (b"content-length", b"10"),
    ]
    assert clean_response_headers(headers) == [
        (b"content-type", b"text/html"),
        (b"x-switchboard-page", b"Users"),
        (b"content-length", b"10"),
    ]


def test_forwarding_headers_from_scope() -> None:
    scope = {
        "type": "http",
        "scheme": "https",
        "client": ("198.51.100.4", 5555),
        "headers": [(b"x-forwarded-host", b"evil"), (b"host", b"acme.localhost:8443")],
    }
    assert forwarding_headers(scope) == [
        (b"x-forwarded-for", b"198.51.100.4"),
        (b"x-forwarded-proto", b"https"),
        (b"x-forwarded-host", b"acme.localhost:8443"),
    ]


def test_forwarding_headers_websocket_without_client() -> None:
    scope = {"type": "websocket", "scheme": "wss", "client": None, "headers": []}
    assert forwarding_headers(scope) == [(b"x-forwarded-proto", b"https")]
