"""PubMed Central's OA web service (`oa.fcgi?id=PMC...`): the PDF link of an article in
the PMC Open Access subset, with its licence.

Only works with a PMCID are looked up (PubMed records carry it); a work with only a PMID
is not converted. The service gives `ftp://ftp.ncbi.nlm.nih.gov/...` links, which NCBI
also serves over HTTPS, so they are fetched as `https://`. An article outside the OA
subset is answered with `<error code="idIsNotOpenAccess">`. `SLR_PMC_URL` overrides the
service URL.
"""

from __future__ import annotations

from slr.fulltext.locate import Location, Locator, Lookup, Target, register, slug
from slr.http import Request, Response, base_url


@register
class Pmc(Locator):
    name = "pmc"
    rate = 3.0  # NCBI's limit without an API key

    def lookup(self, target: Target) -> Lookup | None:
        if not target.pmcid:
            return None
        url = base_url(self.name, "https://www.ncbi.nlm.nih.gov/pmc/utils/oa/oa.fcgi", self.env)
        params = {"id": target.pmcid}
        return Lookup(slug(target.pmcid), Request(url, params, expect="xml"))

    def locations(self, target: Target, response: Response | None) -> list[Location]:
        if response is None or not response.ok:
            return []
        out = []
        for record in response.xml().iter("record"):
            for link in record.iter("link"):
                href = link.get("href")
                if link.get("format") == "pdf" and href:
                    if href.startswith("ftp://"):
                        href = "https://" + href[len("ftp://") :]
                    out.append(Location(href, self.name, licence=record.get("license")))
        return out

    def missing(self, target: Target) -> str:
        return "no PMCID"
