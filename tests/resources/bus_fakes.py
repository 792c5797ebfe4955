"""A bus fake for resource tests: the real in-process bus (runtimes may subscribe), remembering
every publication in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from resources.kit.events import InProcessBus


@dataclass(eq=False)
class RecordingBus(InProcessBus):
    published: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self.published.append((topic, payload))
        await super().publish(topic, payload)

    def topic(self, name: str) -> list[dict[str, Any]]:
        return [payload for t, payload in self.published if t == name]
