"""HTML pages of the callcenter resource (htmx, server-rendered content; the gateway adds the
shell, the menu and CSRF). Under `/callcenter/…` in the portal:

* `/sites` — the sites in effect now, their edit forms and quick actions (views_sites.py)
* `/distributions` — the distributions in effect now and their forms (views_distributions.py)
* `/{kind}/{name}/revisions` — one object's history: cancel, roll back (views_history.py)
* `/audit` — who changed what, newest first (views_history.py)

Forms post to the resource and get the page back: 200 with a notice, or 422 with the errors next
to their inputs (htmx swaps 422, see webui's base.html). A site or distribution the caller does
not see is a plain 404. Provider staff add `?customer=<id>`, as on the JSON API.
"""

from __future__ import annotations

from starlette.routing import Route

from resources.callcenter.views_distributions import distribution_routes
from resources.callcenter.views_history import history_routes
from resources.callcenter.views_sites import site_routes


def routes() -> list[Route]:
    return [*site_routes(), *distribution_routes(), *history_routes()]
