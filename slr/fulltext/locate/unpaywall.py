"""Unpaywall, by DOI: every OA location with a `url_for_pdf`, the best one first.

Unpaywall asks every caller for an e-mail address (`email=`); without `SLR_MAILTO` (or
`mailto` in the user config) the source is unavailable. `SLR_UNPAYWALL_URL` is the base
that `/{doi}` is appended to. A DOI Unpaywall does not know is an HTTP 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from slr.fulltext.locate import Location, Locator, Lookup, Target, register, slug, version
from slr.http import Request, Response, base_url


@register
class Unpaywall(Locator):
    name = "unpaywall"
    rate = 10.0  # documented as 100,000 calls a day; slr stays far below any burst limit

    def unavailable(self) -> str | None:
        if not self.mailto:
            return "unpaywall needs an e-mail address: set SLR_MAILTO (e.g. export SLR_MAILTO=you@example.org)"
        return None

    def lookup(self, target: Target) -> Lookup | None:
        if not target.doi:
            return None
        url = f"{base_url(self.name, 'https://api.unpaywall.org/v2', self.env)}/{quote(target.doi, safe='/:()')}"
        return Lookup(slug(target.doi), Request(url, {"email": self.mailto or ""}))

    def locations(self, target: Target, response: Response | None) -> list[Location]:
        if response is None or not response.ok:
            return []
        data: dict[str, Any] = response.json()
        best = data.get("best_oa_location") or {}
        ordered = [best] + [loc for loc in data.get("oa_locations") or [] if loc != best]
        out = []
        for loc in ordered:
            pdf = (loc or {}).get("url_for_pdf")
            if pdf:
                out.append(
                    Location(
                        pdf,
                        self.name,
                        oa_status=data.get("oa_status"),
                        version=version(loc.get("version")),
                        licence=loc.get("license"),
                    )
                )
        return out

    def missing(self, target: Target) -> str:
        return "no DOI"
