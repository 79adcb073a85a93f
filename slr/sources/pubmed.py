"""PubMed through NCBI E-utilities: ESearch for the PMIDs of a page, EFetch for the records.

The whole query is expressible: `[tiab]` (title, abstract and author keywords), `[ti]`,
`[ot]`, `"phrases"`, `term*`, years as `[dp]`, types as `[pt]`, languages as `[la]`.
One page is two requests: ESearch (`retstart` paging, JSON, `usehistory=y`) gives up to
200 PMIDs and the count, EFetch (XML) gives their records; both are archived, the ESearch
page as `<page>-esearch`. ESearch only ever returns the first 10 000 PMIDs (the cap).
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree

from slr import query as q
from slr.errors import SourceError
from slr.http import Archive, Request, Response
from slr.records import Record, clean_text, normalise_doi, normalise_language, parse_year
from slr.sources.base import Branch, Dialect, Filters, Page, Plan, Source, State, register
from slr.sources.scopus import LANGUAGES

KEY = "NCBI_API_KEY"
MAX_UIDS = 10_000
_TAGS = {None: "tiab", "title": "ti", "abstract": "tiab", "keywords": "ot"}
PUBLICATION_TYPES = {
    "article": "journal article",
    "conference-paper": "congress",
    "review": "review",
    "preprint": "preprint",
}
_REVIEWS = {"review", "systematic review", "scoping review", "meta-analysis"}


class _Compiler(Dialect):
    """PubMed syntax: every leaf carries its field tag; NOT is binary (`a NOT b`)."""

    binary_not = " NOT "

    def term(self, node: q.Term) -> str:
        text = node.text + ("*" if node.wildcard else "")
        text = text if re.fullmatch(r"[\w*]+", text) else f'"{text}"'
        return f"{text}[{_TAGS[node.field]}]"

    def phrase(self, node: q.Phrase) -> str:
        return f'"{node.text}"[{_TAGS[node.field]}]'


def _quoted(value: str) -> str:
    return f'"{value}"' if " " in value else value


def _any(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "(" + " OR ".join(items) + ")"


def compile_query(query: q.Node, filters: Filters) -> tuple[str, tuple[str, ...]]:
    """The PubMed `term` (with `[dp]`, `[pt]`, `[la]` limits) and the local notes."""
    text = _Compiler().visit(query)
    parts = [text]
    local: list[str] = []
    if any(leaf.field == "abstract" for leaf in q.leaves(query)):
        local.append("abstract: PubMed has no abstract-only tag; [tiab] sent, checked locally")
    if filters.years:
        parts.append(f"{filters.years[0]}:{filters.years[1]}[dp]")
    if filters.types:
        names = [PUBLICATION_TYPES.get(t) for t in filters.types]
        if None in names:
            local.append("types: a type has no PubMed publication type; checked locally")
        else:
            parts.append(_any([f"{_quoted(n)}[pt]" for n in dict.fromkeys(n for n in names if n)]))
    if filters.languages:
        langs = [LANGUAGES.get(lang) for lang in filters.languages]
        if None in langs:
            local.append("languages: a language has no PubMed name; checked locally")
        else:
            parts.append(_any([f"{n}[la]" for n in langs if n]))
    local.append(
        "ESearch warninglist/querytranslation are archived with each page "
        "(PubMed may rewrite a query)"
    )
    if len(parts) > 1 and (isinstance(query, q.Or | q.Not) or " NOT " in text):
        parts[0] = f"({text})"  # PubMed reads left to right; keep the query one unit
    return " AND ".join(parts), tuple(local)


# ---------------------------------------------------------------- ESearch


def parse_esearch(content: bytes) -> dict[str, Any]:
    """An ESearch response (JSON or XML) as {count, ids, retstart, webenv, query_key,
    translation, warnings, errors}; a SourceError for an ESearch error."""
    text = content.decode("utf-8", errors="replace").lstrip()
    if text.startswith("{"):
        data = json.loads(text)
        res = data.get("esearchresult")
        if not isinstance(res, dict):
            raise SourceError(f"pubmed: ESearch gave no result: {text[:200]!r}")
        if res.get("ERROR"):
            raise SourceError(f"pubmed: ESearch error: {res['ERROR']}")
        out: dict[str, Any] = {
            "count": int(res.get("count") or 0),
            "ids": [str(i) for i in res.get("idlist") or []],
            "retstart": int(res.get("retstart") or 0),
            "webenv": res.get("webenv"),
            "query_key": res.get("querykey"),
            "translation": res.get("querytranslation"),
            "warnings": res.get("warninglist") or {},
            "errors": res.get("errorlist") or {},
        }
    else:
        try:
            root = ElementTree.fromstring(content)
        except ElementTree.ParseError as exc:
            raise SourceError(f"pubmed: ESearch body is neither JSON nor XML: {exc}") from None
        if root.findtext("ERROR"):
            raise SourceError(f"pubmed: ESearch error: {root.findtext('ERROR')}")
        out = {
            "count": int(root.findtext("Count") or 0),
            "ids": [i.text or "" for i in root.findall("IdList/Id")],
            "retstart": int(root.findtext("RetStart") or 0),
            "webenv": root.findtext("WebEnv"),
            "query_key": root.findtext("QueryKey"),
            "translation": (root.findtext("QueryTranslation") or "").strip() or None,
            "warnings": _xml_list(root.find("WarningList")),
            "errors": _xml_list(root.find("ErrorList")),
        }
    errors: dict[str, Any] = out["errors"]
    if errors.get("fieldsnotfound"):
        raise SourceError(f"pubmed: unknown field tag(s) {errors['fieldsnotfound']}; fix the query")
    return out


def _xml_list(node: ElementTree.Element | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for child in node if node is not None else []:
        out.setdefault(child.tag.lower(), []).append(child.text or "")
    return out


# ---------------------------------------------------------------- EFetch


def _text(node: ElementTree.Element | None) -> str | None:
    return clean_text("".join(node.itertext())) if node is not None else None


def _abstract(parent: ElementTree.Element | None) -> str | None:
    """All AbstractText parts, each structured part prefixed with its label."""
    if parent is None:
        return None
    parts = []
    for part in parent.findall("Abstract/AbstractText"):
        body = _text(part)
        if not body:
            continue
        label = part.get("Label")
        parts.append(f"{label}: {body}" if label else body)
    return " ".join(parts) or None


def _authors(parent: ElementTree.Element | None) -> tuple[str, ...]:
    out = []
    for a in parent.findall("AuthorList/Author") if parent is not None else []:
        last, fore = a.findtext("LastName"), a.findtext("ForeName") or a.findtext("Initials")
        if last:
            out.append(f"{fore} {last}" if fore else last)
        elif a.findtext("CollectiveName"):
            out.append(clean_text(_text(a.find("CollectiveName"))) or "")
    return tuple(x for x in out if x)


def _year(pubdate: ElementTree.Element | None) -> int | None:
    if pubdate is None:
        return None
    return parse_year(pubdate.findtext("Year")) or parse_year(pubdate.findtext("MedlineDate"))


def publication_type(names: list[str]) -> str | None:
    """The slr type of a list of PubMed publication types (review > congress > article)."""
    low = [n.strip().lower() for n in names]
    if any(n in _REVIEWS for n in low):
        return "review"
    if "congress" in low:
        return "conference-paper"
    if "preprint" in low:
        return "preprint"
    if any(n in ("journal article", "comparative study", "clinical trial") for n in low):
        return "article"
    return "other" if low else None


def to_record(article: ElementTree.Element) -> Record:
    """One `PubmedArticle` (or `PubmedBookArticle`) element as a Record."""
    if article.tag == "PubmedBookArticle":
        return _book_record(article)
    cit = article.find("MedlineCitation")
    art = cit.find("Article") if cit is not None else None
    if cit is None or art is None:
        raise SourceError("pubmed: a PubmedArticle without MedlineCitation/Article")
    pmid = cit.findtext("PMID") or ""
    ids = {
        a.get("IdType"): (a.text or "").strip()
        for a in article.findall("PubmedData/ArticleIdList/ArticleId")
    }
    doi = normalise_doi(ids.get("doi")) or normalise_doi(
        art.findtext("ELocationID[@EIdType='doi']")
    )
    types = [t.text or "" for t in art.findall("PublicationTypeList/PublicationType")]
    issue = art.find("Journal/JournalIssue")
    year = _year(issue.find("PubDate") if issue is not None else None) or _year(
        art.find("ArticleDate")
    )
    refs = []
    for ref in article.findall("PubmedData/ReferenceList/Reference"):
        rdoi = normalise_doi(ref.findtext("ArticleIdList/ArticleId[@IdType='doi']"))
        rpmid = ref.findtext("ArticleIdList/ArticleId[@IdType='pubmed']")
        if rdoi or rpmid:
            refs.append(rdoi or f"pmid:{(rpmid or '').strip()}")
    # Older records list their references as "Cites" comments instead of a ReferenceList.
    for cite in cit.findall("CommentsCorrectionsList/CommentsCorrections[@RefType='Cites']"):
        cpmid = (cite.findtext("PMID") or "").strip()
        if cpmid and f"pmid:{cpmid}" not in refs:
            refs.append(f"pmid:{cpmid}")
    retraction = [
        f"pubmed RetractionIn: {' '.join((c.findtext('RefSource') or '').split()) or 'no citation'}"
        for c in cit.findall("CommentsCorrectionsList/CommentsCorrections[@RefType='RetractionIn']")
    ]
    if "Retracted Publication" in types:
        retraction.insert(0, "pubmed publication type: Retracted Publication")
    pages = art.findtext("Pagination/MedlinePgn") or None
    pmc = ids.get("pmc")
    languages = [x.text for x in art.findall("Language") if x.text]
    extra = {
        "pmid": pmid,
        "pmcid": pmc,
        "publication_types": types,
        "mesh": [d.text for d in cit.findall("MeshHeadingList/MeshHeading/DescriptorName")],
        "languages": languages if len(languages) > 1 else None,
        "status": cit.get("Status"),
    }
    return Record(
        source="pubmed",
        source_id=pmid,
        title=_text(art.find("ArticleTitle")) or _text(art.find("VernacularTitle")),
        abstract=_abstract(art),
        authors=_authors(art),
        year=year,
        venue=clean_text(art.findtext("Journal/Title")),
        doi=doi,
        type=publication_type(types),
        language=normalise_language(languages[0]) if languages else None,
        keywords=tuple(k for k in (_text(x) for x in cit.findall("KeywordList/Keyword")) if k),
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
        references=tuple(refs),
        retraction=tuple(retraction),
        volume=issue.findtext("Volume") if issue is not None else None,
        issue=issue.findtext("Issue") if issue is not None else None,
        pages=pages,
        oa_url=f"https://www.ncbi.nlm.nih.gov/pmc/articles/{pmc}/" if pmc else None,
        extra={k: v for k, v in extra.items() if v not in (None, [], "")},
    )


def _book_record(article: ElementTree.Element) -> Record:
    doc = article.find("BookDocument")
    if doc is None:
        raise SourceError("pubmed: a PubmedBookArticle without BookDocument")
    pmid = doc.findtext("PMID") or ""
    book = doc.find("Book")
    chapter = _text(doc.find("ArticleTitle"))
    title = chapter or _text(book.find("BookTitle") if book is not None else None)
    return Record(
        source="pubmed",
        source_id=pmid,
        title=title,
        abstract=_abstract(doc),
        authors=_authors(doc) or _authors(book),
        year=_year(book.find("PubDate") if book is not None else None),
        venue=_text(book.find("BookTitle")) if book is not None and chapter else None,
        type="book-chapter" if chapter else "book",
        language=normalise_language(doc.findtext("Language")),
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
        publisher=book.findtext("Publisher/PublisherName") if book is not None else None,
        extra={"pmid": pmid},
    )


def parse_efetch(content: bytes) -> tuple[Record, ...]:
    """Every article of an EFetch `PubmedArticleSet` response, in order."""
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as exc:
        raise SourceError(f"pubmed: EFetch body is not XML: {exc}") from None
    if root.tag != "PubmedArticleSet":
        error = root.findtext(".//ERROR")
        raise SourceError(
            f"pubmed: EFetch gave <{root.tag}>, not <PubmedArticleSet>"
            + (f": {error}" if error else "")
        )
    return tuple(to_record(a) for a in root if a.tag in ("PubmedArticle", "PubmedBookArticle"))


# ---------------------------------------------------------------- the source


@register
class PubMed(Source):
    name = "pubmed"
    database = "PubMed (MEDLINE and PubMed-not-MEDLINE)"
    interface = "NCBI E-utilities ESearch + EFetch"
    default_url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
    optional_env = (KEY,)
    rate = 3.0  # 10 with an API key
    page_size = 200
    hard_cap = MAX_UIDS
    also_searches = "other-language abstracts ([tiab])"
    count_params = {"retmax": 0}  # esearchresult.count, no PMIDs
    count_drop = ("usehistory",)

    def requests_per_second(self) -> float:
        return 10.0 if self.env.get(KEY) else self.rate

    def _common(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        key = self.secret(KEY)
        if key:
            params["api_key"] = key
        params["tool"] = "slr"
        if self.client.mailto:
            params["email"] = self.client.mailto
        return params

    def compile(self, query: q.Node, filters: Filters) -> Plan:
        term, local = compile_query(query, filters)
        return Plan((Branch(term),), {}, local)

    def request(self, plan: Plan, branch: int, state: State) -> Request:
        """The ESearch request of a page (its EFetch follows from the PMIDs it returns)."""
        params = {
            "db": "pubmed",
            "term": plan.branches[branch].query,
            "retmode": "json",
            "usehistory": "y",
            "retstart": int(state.get("start", 0)),
            "retmax": self.page_size,
            **self._common(),
        }
        return Request(f"{self.url}/esearch.fcgi", params)

    def efetch(self, ids: list[str]) -> Request:
        """The EFetch request for a list of PMIDs."""
        params = {"db": "pubmed", "id": ",".join(ids), "retmode": "xml", **self._common()}
        return Request(f"{self.url}/efetch.fcgi", params, expect="xml")

    def _next(self, state: State, found: dict[str, Any]) -> State | None:
        end = int(state.get("start", 0)) + len(found["ids"])
        # Past MAX_UIDS ESearch returns nothing: `hard_cap` stops there and reports the cap.
        return {"start": end} if found["ids"] and end < found["count"] else None

    def parse(self, response: Response, plan: Plan, branch: int, state: State) -> Page:
        """An ESearch page (count and next state, no records) or an EFetch page (records)."""
        head = response.content.lstrip()[:300]
        if b"PubmedArticleSet" in head:
            return Page(parse_efetch(response.content), None, None)
        found = parse_esearch(response.content)
        return Page((), found["count"], self._next(state, found))

    def fetch(
        self,
        plan: Plan,
        branch: int,
        state: State,
        archive: Archive | None = None,
        name: str | None = None,
    ) -> Page:
        """ESearch then EFetch for one page, both archived; records point at the EFetch body."""
        base = {"source": self.name, "branch": branch, "state": state}
        response = self.send(
            self.request(plan, branch, state),
            archive,
            f"{name}-esearch" if name else None,
            {**base, "kind": "esearch"},
        )
        self.check(response)
        found = parse_esearch(response.content)
        nxt = self._next(state, found)
        if not found["ids"]:
            return Page((), found["count"], None)
        extra = {
            **base,
            "kind": "efetch",
            "total": found["count"],
            "next": nxt,
            "translation": found["translation"],
            "warnings": found["warnings"] or None,
        }
        response = self.send(self.efetch(found["ids"]), archive, name, extra)
        self.check(response)
        page = Page(parse_efetch(response.content), found["count"], nxt)
        if archive is not None and name is not None:
            page = self.locate(page, archive, name)
        return page

    def replay(self, plan: Plan, archive: Archive, name: str) -> tuple[Page, dict[str, Any]]:
        page, meta = super().replay(plan, archive, name)
        if meta.get("kind") == "efetch":
            page = Page(page.records, meta.get("total"), meta.get("next"))
        return page, meta

    def to_record(self, item: Any) -> Record:
        return to_record(item)
