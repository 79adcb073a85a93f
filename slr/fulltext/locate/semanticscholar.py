"""Semantic Scholar: the paper's `openAccessPdf` (an empty URL means none).

Looked up by paper id when a record came from Semantic Scholar, else by `DOI:`.
`SEMANTIC_SCHOLAR_API_KEY` is sent when set (1 request/s; without a key the shared pool
allows about one request every 3 s). `SLR_SEMANTICSCHOLAR_URL` overrides the base.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from slr.fulltext.locate import Location, Locator, Lookup, Target, register, slug
from slr.http import Request, Response, base_url

FIELDS = "openAccessPdf,externalIds"


@register
class SemanticScholar(Locator):
    name = "semanticscholar"
    rate = 1 / 3
    secrets = ("SEMANTIC_SCHOLAR_API_KEY",)

    def lookup(self, target: Target) -> Lookup | None:
        ident = target.semanticscholar or (f"DOI:{target.doi}" if target.doi else None)
        if ident is None:
            return None
        key = self.env.get("SEMANTIC_SCHOLAR_API_KEY")
        base = base_url(self.name, "https://api.semanticscholar.org/graph/v1", self.env)
        request = Request(
            f"{base}/paper/{quote(ident, safe=':/()')}",
            {"fields": FIELDS},
            {"x-api-key": key} if key else {},
        )
        return Lookup(slug(ident), request)

    def locations(self, target: Target, response: Response | None) -> list[Location]:
        if response is None or not response.ok:
            return []
        data: dict[str, Any] = response.json()
        pdf = data.get("openAccessPdf") or {}
        if not pdf.get("url"):
            return []
        status = pdf.get("status")
        return [
            Location(
                pdf["url"],
                self.name,
                oa_status=status.lower() if isinstance(status, str) else None,
                licence=pdf.get("license") or None,
            )
        ]

    def missing(self, target: Target) -> str:
        return "no DOI or Semantic Scholar id"
