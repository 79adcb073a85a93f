"""arXiv: a work with an arXiv id (an arXiv record, a Semantic Scholar `ArXiv` id, or a
DOI 10.48550/arXiv.*) has its PDF at `https://arxiv.org/pdf/<id>`; no lookup is made.

`SLR_ARXIV_PDF_URL` overrides the base. arXiv asks for one request every 3 seconds. What
arXiv serves is the latest version the authors posted: slr records no version and no OA
status for it, since arXiv states neither.
"""

from __future__ import annotations

from slr.fulltext.locate import Location, Locator, Target, register
from slr.http import Response, base_url


@register
class Arxiv(Locator):
    name = "arxiv"
    rate = 1 / 3

    def locations(self, target: Target, response: Response | None) -> list[Location]:
        if not target.arxiv:
            return []
        base = base_url("arxiv_pdf", "https://arxiv.org/pdf", self.env)
        return [Location(f"{base}/{target.arxiv}", self.name)]

    def missing(self, target: Target) -> str:
        return "no arXiv id"
