"""gateway.metrics: exact Prometheus text and the ASGI middleware's labels."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gateway.metrics import Metrics, MetricsMiddleware, Registry


def test_render_small_registry_exactly() -> None:
    registry = Registry()
    hits = registry.counter("demo_hits_total", "Hits.\nSecond line", ("path",))
    temp = registry.gauge("demo_temperature", "Degrees")
    latency = registry.histogram("demo_seconds", "Latency", ("op",), buckets=(0.1, 1.0))
    hits.inc(path='/a"b\\c\nd')
    hits.inc(2, path="/")
    temp.set(21.5)
    latency.observe(0.05, op="get")
    latency.observe(0.5, op="get")
    latency.observe(3, op="get")
    assert registry.render() == (
        "# HELP demo_hits_total Hits.\\nSecond line\n"
        "# TYPE demo_hits_total counter\n"
        'demo_hits_total{path="/"} 2\n'
        'demo_hits_total{path="/a\\"b\\\\c\\nd"} 1\n'
        "# HELP demo_temperature Degrees\n"
        "# TYPE demo_temperature gauge\n"
        "demo_temperature 21.5\n"
        "# HELP demo_seconds Latency\n"
        "# TYPE demo_seconds histogram\n"
        'demo_seconds_bucket{op="get",le="0.1"} 1\n'
        'demo_seconds_bucket{op="get",le="1"} 2\n'
        'demo_seconds_bucket{op="get",le="+Inf"} 3\n'
        'demo_seconds_sum{op="get"} 3.55\n'
        'demo_seconds_count{op="get"} 3\n'
    )


def test_label_names_are_checked_and_counters_only_go_up() -> None:
    registry = Registry()
    counter = registry.counter("c_total", "C", ("a",))
    with pytest.raises(ValueError, match="takes labels"):
        counter.inc(b="x")
    with pytest.raises(ValueError, match="only goes up"):
        counter.inc(-1, a="x")
    with pytest.raises(ValueError, match="registered twice"):
        registry.gauge("c_total", "again")


def test_gateway_helpers() -> None:
    metrics = Metrics(resources=["tollfree"])
    metrics.login("success")
    metrics.login("failure")
    metrics.login("failure")
    metrics.lockout()
    metrics.resource_error("tollfree", 504)
    metrics.resource_error("nope", 502)
    assert metrics.logins.value(result="failure") == 2
    assert metrics.lockouts.value() == 1
    text = metrics.render()
    assert 'switchboard_logins_total{result="success"} 1\n' in text
    assert "switchboard_lockouts_total 1\n" in text
    assert 'switchboard_resource_errors_total{resource="tollfree",status="504"} 1\n' in text
    assert 'switchboard_resource_errors_total{resource="-",status="502"} 1\n' in text


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/tollfree/plans", "tollfree"),
        ("/api/tollfree/plans", "tollfree"),
        ("/tollfree", "tollfree"),
        ("/unknown/x", "-"),
        ("/api/unknown", "-"),
        ("/", "-"),
        ("/api", "-"),
    ],
)
def test_resource_label_is_bounded(path: str, label: str) -> None:
    assert Metrics(resources=["tollfree"]).resource_label(path) == label


async def test_middleware_counts_and_times_requests() -> None:
    async def ok(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    metrics = Metrics(resources=["tollfree"])
    app = MetricsMiddleware(
        Starlette(routes=[Route("/tollfree/x", ok, methods=["GET", "POST"])]), metrics, "customer"
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        await client.get("/tollfree/x")
        await client.post("/tollfree/x")
        await client.get("/secret-probe-123")
    assert metrics.requests.value(plane="customer", resource="tollfree", method="GET", status="200") == 1
    assert metrics.requests.value(plane="customer", resource="tollfree", method="POST", status="200") == 1
    assert metrics.requests.value(plane="customer", resource="-", method="GET", status="404") == 1
    assert metrics.duration.count(plane="customer", resource="tollfree") == 2
    assert "secret-probe" not in metrics.render()
