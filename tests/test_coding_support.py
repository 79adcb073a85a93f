"""Builders shared by the coding and matrix tests: small reviews on disk in a tmp folder.

`table1_review` builds the reference review's 11 included studies from the metadata in
tests/fixtures/mlops_table1_sheet.csv (the paper's reference list) and codes them by
importing that sheet, the way the lead codes the real corpus:
`slr code -p protocols/mlops.toml --import tests/fixtures/mlops_table1_sheet.csv`.
"""

from __future__ import annotations

import csv
from pathlib import Path

from slr.decisions import Decision, record_decision
from slr.records import Record
from slr.review import Review, open_review
from slr.works import Work, save_works

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TABLE1_SHEET = FIXTURES / "mlops_table1_sheet.csv"
MLOPS = ROOT / "protocols" / "mlops.toml"
SEED_REVIEW = ROOT.parent / "shared" / "docs" / "seed-review.md"

# the paper's printed Total row (seed-review.md, Table 1): what the computed totals must equal
PAPER_TOTALS = (9, 10, 8, 3, 3, 1, 1, 4, 4, 7)


def protocol_text(concepts: list[dict], review_id: str = "t") -> str:
    """A valid protocol with the given concepts (dicts with id, label, group?, theme?, keywords?)."""
    lines = [
        "[review]",
        f'id = "{review_id}"',
        'title = "Test review: A & B"',
        'reviewers = ["r1"]',
        "[search]",
        'query = "mlops"',
        'sources = ["openalex"]',
    ]
    for c in concepts:
        lines += ["[[concepts]]", f'id = "{c["id"]}"', f"label = {_toml(c['label'])}"]
        if c.get("group"):
            lines.append(f"group = {_toml(c['group'])}")
        if c.get("theme"):
            lines.append(f"theme = {_toml(c['theme'])}")
        if c.get("keywords"):
            lines.append("keywords = [" + ", ".join(_toml(k) for k in c["keywords"]) + "]")
    return "\n".join(lines) + "\n"


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def work(
    n: int | str,
    authors: tuple[str, ...] = ("Smith, J.",),
    year: int | None = 2020,
    title: str | None = None,
    abstract: str | None = None,
    doi: str | None = None,
    keywords: tuple[str, ...] = (),
) -> Work:
    """A one-record work with id `manual:<n>`."""
    rec = Record(
        "manual",
        str(n),
        title=title if title is not None else f"Study {n}",
        abstract=abstract,
        authors=authors,
        year=year,
        doi=doi,
        keywords=keywords,
        type="article",
        language="en",
    )
    return Work(rec.id, (rec.id,), ("manual",), rec)


def make_review(
    tmp: Path,
    concepts: list[dict],
    works: list[Work],
    include: bool = True,
    protocol: str | None = None,
) -> Review:
    """protocols/<id>.toml + corpus with the works included at both stages by reviewer r1."""
    folder = tmp / "protocols"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "t.toml"
    path.write_text(protocol or protocol_text(concepts), "utf-8")
    review = open_review(path)
    save_works(review, works)
    if include:
        for stage in ("title-abstract", "full-text"):
            for w in works:
                record_decision(review, Decision("r1", stage, w.work_id, "include"))
    return review


def table1_works() -> list[Work]:
    """The 11 included studies, metadata as in the paper's reference list, in Table 1 order."""
    out = []
    with open(TABLE1_SHEET, encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=1):
            rec = Record(
                "manual",
                f"table1-{i}",
                title=row["title"],
                authors=tuple(a.strip() for a in row["authors"].split(";")),
                year=int(row["year"]),
                venue=row["venue"],
                doi=row["doi"] or None,
                type="article",
                language="en",
            )
            out.append(Work(rec.id, (rec.id,), ("manual",), rec))
    return out


def table1_review(tmp: Path, coder: str = "reviewer1") -> Review:
    """The reference review in tmp: protocols/mlops.toml, its 11 studies included, Table 1 coded."""
    from slr.coding.sheet import import_sheet

    folder = tmp / "protocols"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mlops.toml").write_bytes(MLOPS.read_bytes())
    review = open_review(folder / "mlops.toml")
    works = table1_works()
    save_works(review, works)
    for stage in ("title-abstract", "full-text"):
        for w in works:
            record_decision(review, Decision("r1", stage, w.work_id, "include"))
    import_sheet(review, TABLE1_SHEET, coder)
    return review


def seed_table1() -> tuple[list[str], list[list[str]]] | None:
    """Table 1 as printed in seed-review.md: (study labels, marks per study); None if absent."""
    if not SEED_REVIEW.exists():
        return None
    text = SEED_REVIEW.read_text("utf-8")
    section = text.split("## Table 1", 1)[1].split("\n## ", 1)[0]
    labels, marks = [], []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 11 and all(c in ("✓", "✗") for c in cells[1:]):
            labels.append(cells[0])
            marks.append(cells[1:])
    return labels, marks


def seed_totals() -> list[int] | None:
    """The Total row printed in seed-review.md's Table 1; None if the file is absent."""
    if not SEED_REVIEW.exists():
        return None
    section = SEED_REVIEW.read_text("utf-8").split("## Table 1", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        if line.startswith("| **Total**"):
            return [int(c) for c in line.strip().strip("|").split("|")[1:]]
    return None
