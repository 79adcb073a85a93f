"""Column-wise comparison keys of many records, built once per run (index = record position)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from slr.dedupe import normalise as nz
from slr.records import Record


@dataclass
class Table:
    """One list per key; position i describes the i-th record of the run."""

    ids: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # title words
    key: list[str] = field(default_factory=list)  # compact title key
    doi: list[str] = field(default_factory=list)
    surnames: list[tuple[str, ...]] = field(default_factory=list)  # first few authors
    initial: list[str] = field(default_factory=list)  # first author's initials
    first_raw: list[str] = field(default_factory=list)  # first author's name as given
    year: list[int] = field(default_factory=list)  # 0 = unknown
    venue: list[tuple[str, ...]] = field(default_factory=list)
    volume: list[str] = field(default_factory=list)
    issue: list[str] = field(default_factory=list)
    page: list[str] = field(default_factory=list)  # first-last
    abstract: list[str] = field(default_factory=list)  # start of the abstract, as words
    cls: list[str] = field(default_factory=list)  # preprint/conference/journal/book/""
    kind: list[str] = field(default_factory=list)  # item/notice/comment
    nums: list[frozenset[str]] = field(default_factory=list)
    generic: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def full(self, i: int) -> str:
        """Record i's first author's whole name as letters only."""
        return nz.name_letters(self.first_raw[i])

    @property
    def first_author(self) -> list[str]:
        return [s[0] if s else "" for s in self.surnames]

    def extend(self, records: Iterable[Record]) -> None:
        """Add the keys of records (a hot loop: a million records take seconds)."""
        venue_cache: dict[str | None, tuple[str, ...]] = {}
        class_cache: dict[tuple[str | None, str | None, bool], str] = {}
        title_words, compact, doi_key = nz.title_words, nz.compact, nz.doi_key
        author_key = nz.author_key
        first_number, page_numbers = nz.first_number, nz.page_numbers
        item_kind, numbers, is_generic = nz.item_kind, nz.numbers, nz.is_generic
        for rec in records:
            words = title_words(rec.title)
            self.ids.append(rec.id)
            self.sources.append(rec.source)
            self.words.append(words)
            self.key.append(compact(words))
            doi = doi_key(rec.doi) if rec.doi else ""
            self.doi.append(doi)
            authors = rec.authors
            if authors:
                names = [author_key(a) for a in authors[:3]]
                self.surnames.append(tuple(s for s, _ in names if s))
                self.initial.append(names[0][1])
                self.first_raw.append(authors[0])
            else:
                self.surnames.append(())
                self.initial.append("")
                self.first_raw.append("")
            self.year.append(rec.year or 0)
            venue = venue_cache.get(rec.venue)
            if venue is None:
                venue = venue_cache[rec.venue] = nz.venue_tokens(rec.venue)
            self.venue.append(venue)
            self.volume.append(first_number(rec.volume) if rec.volume else "")
            self.issue.append(first_number(rec.issue) if rec.issue else "")
            self.page.append(page_numbers(rec.pages) if rec.pages else "")
            self.abstract.append(title_words(rec.abstract[:300]) if rec.abstract else "")
            ckey = (rec.type, rec.venue, doi.startswith(nz.PREPRINT_DOI_PREFIXES))
            cls = class_cache.get(ckey)
            if cls is None:
                cls = class_cache[ckey] = nz.record_class(rec.type, rec.venue, doi)
            self.cls.append(cls)
            self.kind.append(item_kind(words))
            self.nums.append(numbers(words))
            self.generic.append(is_generic(words))


def build(records: Iterable[Record] | Sequence[Record]) -> Table:
    """The keys of every record, in order."""
    table = Table()
    table.extend(records)
    return table
