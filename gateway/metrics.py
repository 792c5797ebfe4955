"""A tiny dependency-free metrics registry rendered in Prometheus text format 0.0.4.

`Metrics` is built once per process (no globals) and shared by both planes' middleware; the
network plane serves `render()` at `/metrics`. Label values are bounded: the resource label is the
first path segment only when it names a known resource, else "-".
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

LabelValues = tuple[str, ...]


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _labels(names: Sequence[str], values: Sequence[str], extra: tuple[str, str] | None = None) -> str:
    pairs = [f'{n}="{_escape_label(v)}"' for n, v in zip(names, values, strict=True)]
    if extra is not None:
        pairs.append(f'{extra[0]}="{_escape_label(extra[1])}"')
    return "{" + ",".join(pairs) + "}" if pairs else ""


class _Metric:
    kind = ""

    def __init__(self, name: str, help_: str, labels: Sequence[str] = ()) -> None:
        self.name = name
        self.help = help_
        self.label_names = tuple(labels)
        self._lock = threading.Lock()

    def _key(self, labels: dict[str, str]) -> LabelValues:
        if set(labels) != set(self.label_names):
            raise ValueError(f"{self.name} takes labels {self.label_names}, got {tuple(labels)}")
        return tuple(str(labels[n]) for n in self.label_names)

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {_escape_help(self.help)}", f"# TYPE {self.name} {self.kind}"]

    def samples(self) -> Iterable[str]:
        raise NotImplementedError


class Counter(_Metric):
    kind = "counter"

    def __init__(self, name: str, help_: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, help_, labels)
        self._values: dict[LabelValues, float] = {}

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(self._key(labels), 0.0)

    def samples(self) -> Iterable[str]:
        for key, value in sorted(self._values.items()):
            yield f"{self.name}{_labels(self.label_names, key)} {_number(value)}"


class Gauge(_Metric):
    kind = "gauge"

    def __init__(self, name: str, help_: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, help_, labels)
        self._values: dict[LabelValues, float] = {}

    def set(self, value: float, **labels: str) -> None:
        with self._lock:
            self._values[self._key(labels)] = value

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def dec(self, amount: float = 1.0, **labels: str) -> None:
        self.inc(-amount, **labels)

    def value(self, **labels: str) -> float:
        return self._values.get(self._key(labels), 0.0)

    def samples(self) -> Iterable[str]:
        for key, value in sorted(self._values.items()):
            yield f"{self.name}{_labels(self.label_names, key)} {_number(value)}"


class Histogram(_Metric):
    kind = "histogram"

    def __init__(
        self, name: str, help_: str, labels: Sequence[str] = (), buckets: Sequence[float] = DEFAULT_BUCKETS
    ) -> None:
        super().__init__(name, help_, labels)
        if list(buckets) != sorted(buckets) or not buckets:
            raise ValueError("buckets must be a non-empty increasing sequence")
        self.buckets = tuple(float(b) for b in buckets)
        # per label set: [count per bucket (non-cumulative) ..., +Inf overflow], sum
        self._counts: dict[LabelValues, list[int]] = {}
        self._sums: dict[LabelValues, float] = {}

    def observe(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        index = next((i for i, b in enumerate(self.buckets) if value <= b), len(self.buckets))
        with self._lock:
            counts = self._counts.setdefault(key, [0] * (len(self.buckets) + 1))
            counts[index] += 1
            self._sums[key] = self._sums.get(key, 0.0) + value

    def count(self, **labels: str) -> int:
        return sum(self._counts.get(self._key(labels), ()))

    def samples(self) -> Iterable[str]:
        for key, counts in sorted(self._counts.items()):
            running = 0
            for bound, n in zip((*self.buckets, math.inf), counts, strict=True):
                running += n
                le = _labels(self.label_names, key, ("le", _number(bound)))
                yield f"{self.name}_bucket{le} {running}"
            plain = _labels(self.label_names, key)
            yield f"{self.name}_sum{plain} {_number(self._sums[key])}"
            yield f"{self.name}_count{plain} {running}"


class Registry:
    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}

    def _add(self, metric: _Metric) -> None:
        if metric.name in self._metrics:
            raise ValueError(f"metric {metric.name} registered twice")
        self._metrics[metric.name] = metric

    def counter(self, name: str, help_: str, labels: Sequence[str] = ()) -> Counter:
        metric = Counter(name, help_, labels)
        self._add(metric)
        return metric

    def gauge(self, name: str, help_: str, labels: Sequence[str] = ()) -> Gauge:
        metric = Gauge(name, help_, labels)
        self._add(metric)
        return metric

    def histogram(
        self, name: str, help_: str, labels: Sequence[str] = (), buckets: Sequence[float] = DEFAULT_BUCKETS
    ) -> Histogram:
        metric = Histogram(name, help_, labels, buckets)
        self._add(metric)
        return metric

    def render(self) -> str:
        lines: list[str] = []
        for metric in self._metrics.values():
            lines += metric.header()
            lines += metric.samples()
        return "\n".join(lines) + "\n"


class Metrics(Registry):
    """Switchboard's metrics. `resources` bounds the resource label."""

    def __init__(self, *, resources: Iterable[str] = ()) -> None:
        super().__init__()
        self.resources = frozenset(resources)
        self.requests = self.counter(
            "switchboard_http_requests_total",
            "HTTP requests answered.",
            ("plane", "resource", "method", "status"),
        )
        self.duration = self.histogram(
            "switchboard_http_request_duration_seconds",
            "Time to answer an HTTP request, in seconds.",
            ("plane", "resource"),
        )
        self.logins = self.counter("switchboard_logins_total", "Login attempts by result.", ("result",))
        self.lockouts = self.counter("switchboard_lockouts_total", "Accounts locked after failed logins.")
        self.resource_errors = self.counter(
            "switchboard_resource_errors_total",
            "Requests a resource failed to answer (down or timed out).",
            ("resource", "status"),
        )

    def resource_label(self, path: str) -> str:
        segments = path.lstrip("/").split("/")
        first = segments[0]
        if first == "api" and len(segments) > 1:  # customer JSON API: /api/<resource>/…
            first = segments[1]
        return first if first in self.resources else "-"

    def login(self, result: str) -> None:
        self.logins.inc(result=result)

    def lockout(self) -> None:
        self.lockouts.inc()

    def resource_error(self, resource: str, status: int) -> None:
        label = resource if resource in self.resources else "-"
        self.resource_errors.inc(resource=label, status=str(status))


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class MetricsMiddleware:
    """Pure ASGI: counts every HTTP request and times it to the end of the response."""

    def __init__(self, app: ASGIApp, metrics: Metrics, plane: str) -> None:
        self.app = app
        self.metrics = metrics
        self.plane = plane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            resource = self.metrics.resource_label(str(scope.get("path", "")))
            method = str(scope.get("method", ""))
            self.metrics.requests.inc(
                plane=self.plane,
                resource=resource,
                method=method if method in _METHODS else "OTHER",
                status=str(status),
            )
            self.metrics.duration.observe(time.perf_counter() - start, plane=self.plane, resource=resource)
