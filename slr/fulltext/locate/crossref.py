"""Crossref: the work's `link` entries of content type `application/pdf`.

A Crossref link is not an open-access statement: publishers deposit them for text
mining (often behind a subscription or a TDM token) and for similarity checking. So
Crossref comes last in the default order, the OA status is left unrecorded, the link's
intended application is kept as the location's note, and the licence is the deposited
one for the link's content version (vor, am) when there is one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from slr.fulltext.locate import Location, Locator, Lookup, Target, register, slug
from slr.http import Request, Response, base_url

CONTENT_VERSIONS = {"vor": "published", "am": "accepted"}


@register
class Crossref(Locator):
    name = "crossref"
    rate = 3.0

    def lookup(self, target: Target) -> Lookup | None:
        if not target.doi:
            return None
        base = base_url(self.name, "https://api.crossref.org", self.env)
        params = {"mailto": self.mailto} if self.mailto else {}
        return Lookup(
            slug(target.doi), Request(f"{base}/works/{quote(target.doi, safe=':()')}", params)
        )

    def locations(self, target: Target, response: Response | None) -> list[Location]:
        if response is None or not response.ok:
            return []
        item: dict[str, Any] = response.json().get("message") or {}
        licences = {lic.get("content-version"): lic.get("URL") for lic in item.get("license") or []}
        out = []
        for link in item.get("link") or []:
            if link.get("content-type") != "application/pdf" or not link.get("URL"):
                continue
            content = link.get("content-version")
            use = link.get("intended-application") or "unspecified"
            out.append(
                Location(
                    link["URL"],
                    self.name,
                    version=CONTENT_VERSIONS.get(content or ""),
                    licence=licences.get(content),
                    note=f"Crossref {use} link: not an open-access statement",
                )
            )
        return out

    def missing(self, target: Target) -> str:
        return "no DOI"
