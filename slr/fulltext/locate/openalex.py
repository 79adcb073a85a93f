"""OpenAlex: `best_oa_location` first, then every other `locations[].pdf_url`.

Looked up by the work's OpenAlex id when one of its records came from OpenAlex, else by
DOI (`/works/doi:...`). `OPENALEX_API_KEY` is sent when set; `SLR_OPENALEX_URL` overrides
the base.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from slr.fulltext.locate import Location, Locator, Lookup, Target, register, slug, version
from slr.http import Request, Response, base_url


@register
class OpenAlex(Locator):
    name = "openalex"
    rate = 10.0
    secrets = ("OPENALEX_API_KEY",)

    def lookup(self, target: Target) -> Lookup | None:
        ident = target.openalex or (f"doi:{target.doi}" if target.doi else None)
        if ident is None:
            return None
        params: dict[str, str] = {}
        if self.mailto:
            params["mailto"] = self.mailto
        if self.env.get("OPENALEX_API_KEY"):
            params["api_key"] = self.env["OPENALEX_API_KEY"]
        base = base_url(self.name, "https://api.openalex.org", self.env)
        return Lookup(slug(ident), Request(f"{base}/works/{quote(ident, safe=':/()')}", params))

    def locations(self, target: Target, response: Response | None) -> list[Location]:
        if response is None or not response.ok:
            return []
        data: dict[str, Any] = response.json()
        status = (data.get("open_access") or {}).get("oa_status")
        best = data.get("best_oa_location") or {}
        out: list[Location] = []
        for loc in [best, *(data.get("locations") or [])]:
            pdf = (loc or {}).get("pdf_url")
            if pdf and all(o.url != pdf for o in out):
                out.append(
                    Location(
                        pdf,
                        self.name,
                        oa_status=status if loc.get("is_oa") else None,
                        version=version(loc.get("version")),
                        licence=loc.get("license"),
                    )
                )
        return out

    def missing(self, target: Target) -> str:
        return "no DOI or OpenAlex id"
