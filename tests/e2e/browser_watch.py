"""What every browser test refuses: Content-Security-Policy violations (console errors and
`securitypolicyviolation` events) and uncaught page errors, on every page of a watched context."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, ConsoleMessage

REPORT_CSP = (
    "document.addEventListener('securitypolicyviolation', e => console.error("
    "'CSP violation: ' + e.violatedDirective + ' ' + (e.sourceFile || '')), true);"
)


class BrowserWatch:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch(self, ctx: BrowserContext) -> None:
        ctx.add_init_script(REPORT_CSP)
        ctx.on("console", self._on_console)
        ctx.on("page", lambda page: page.on("pageerror", lambda err: self.problems.append(str(err)[:200])))

    def _on_console(self, msg: ConsoleMessage) -> None:
        text = msg.text
        if msg.type == "error" and ("Content Security Policy" in text or text.startswith("CSP violation")):
            self.problems.append(text[:200])

    def take(self, fragment: str) -> list[str]:
        """Remove and return the problems mentioning `fragment` (a known bug's)."""
        taken = [p for p in self.problems if fragment in p]
        self.problems = [p for p in self.problems if fragment not in p]
        return taken
