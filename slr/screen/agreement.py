"""Agreement between screeners: Cohen's kappa, percent agreement, PABAK, Gwet's AC1, Fleiss' kappa.

Formulas and worked examples are those of docs/methods.md section 4. Only independent,
pre-consensus decisions are compared (each reviewer's own log; never the resolutions).
"Maybe" counts as include: at both stages it means "not excluded yet", which is what a
second reviewer agrees or disagrees with. Works rated by only one reviewer are reported,
never imputed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

Table = list[list[int]]


def confusion(
    pairs: Iterable[tuple[str, str]], categories: Sequence[str] | None = None
) -> tuple[list[str], Table]:
    """Categories and the square table (rows: rater A, columns: rater B) of paired labels."""
    pairs = list(pairs)
    cats = list(categories) if categories else sorted({c for p in pairs for c in p})
    pos = {c: i for i, c in enumerate(cats)}
    table = [[0] * len(cats) for _ in cats]
    for a, b in pairs:
        table[pos[a]][pos[b]] += 1
    return cats, table


def _margins(table: Table) -> tuple[int, list[float], list[float]]:
    n = sum(map(sum, table))
    rows = [sum(r) / n for r in table] if n else [0.0] * len(table)
    cols = [sum(r[j] for r in table) / n for j in range(len(table))] if n else [0.0] * len(table)
    return n, rows, cols


def percent_agreement(table: Table) -> float:
    """p_o: the share of items both raters put in the same category (NaN with no items)."""
    n = sum(map(sum, table))
    return sum(table[i][i] for i in range(len(table))) / n if n else math.nan


def cohen_kappa(table: Table) -> float:
    """Cohen's kappa (p_o - p_e)/(1 - p_e); NaN when p_e = 1 (both raters used one category)."""
    n, rows, cols = _margins(table)
    if not n:
        return math.nan
    p_o = percent_agreement(table)
    p_e = sum(r * c for r, c in zip(rows, cols, strict=True))
    return math.nan if math.isclose(p_e, 1.0) else (p_o - p_e) / (1 - p_e)


def pabak(table: Table) -> float:
    """Prevalence- and bias-adjusted kappa (Brennan-Prediger for q categories): (q p_o - 1)/(q - 1)."""
    q = max(len(table), 2)
    p_o = percent_agreement(table)
    return (q * p_o - 1) / (q - 1)


def gwet_ac1(table: Table) -> float:
    """Gwet's AC1 for two raters; robust when nearly everything is excluded."""
    n, rows, cols = _margins(table)
    if not n:
        return math.nan
    q = max(len(table), 2)
    p_e = sum(((r + c) / 2) * (1 - (r + c) / 2) for r, c in zip(rows, cols, strict=True)) / (q - 1)
    return (percent_agreement(table) - p_e) / (1 - p_e)


@dataclass(frozen=True)
class MultiRater:
    """Agreement of any number of raters; items may have different numbers of ratings."""

    items: int  # items rated by at least two raters
    p_a: float
    fleiss_pe: float
    fleiss: float
    ac1_pe: float
    ac1: float


def multi_rater(counts: Sequence[Sequence[int]]) -> MultiRater:
    """Fleiss' kappa and Gwet's AC1 from per-item category counts (irrCAC's incomplete design).

    P_i uses r_i(r_i - 1) and p_a averages it over items with r_i >= 2; pi_k averages
    r_ik / r_i over items with r_i >= 1. With every item fully rated this is Fleiss (1971).
    """
    rated = [row for row in counts if sum(row) >= 1]
    if not rated:
        return MultiRater(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    q = len(rated[0])
    paired = [row for row in rated if sum(row) >= 2]
    if paired:
        p_a = sum(
            sum(c * (c - 1) for c in row) / (sum(row) * (sum(row) - 1)) for row in paired
        ) / len(paired)
    else:
        p_a = math.nan
    pi = [sum(row[k] / sum(row) for row in rated) / len(rated) for k in range(q)]
    fleiss_pe = sum(p * p for p in pi)
    ac1_pe = sum(p * (1 - p) for p in pi) / (q - 1) if q > 1 else math.nan
    return MultiRater(
        items=len(paired),
        p_a=p_a,
        fleiss_pe=fleiss_pe,
        fleiss=_chance_corrected(p_a, fleiss_pe),
        ac1_pe=ac1_pe,
        ac1=_chance_corrected(p_a, ac1_pe),
    )


def fleiss_kappa(counts: Sequence[Sequence[int]]) -> float:
    """Fleiss' kappa from per-item category counts (rows: items, columns: categories)."""
    return multi_rater(counts).fleiss


def _chance_corrected(p_a: float, p_e: float) -> float:
    if math.isnan(p_a) or math.isnan(p_e) or math.isclose(p_e, 1.0):
        return math.nan
    return (p_a - p_e) / (1 - p_e)


_BANDS = (
    (0.20, "slight"),
    (0.40, "fair"),
    (0.60, "moderate"),
    (0.80, "substantial"),
    (1.00, "almost perfect"),
)


def landis_koch(kappa: float) -> str:
    """Landis & Koch (1977) band, half-open (0.20, 0.40] so every value falls in one."""
    if math.isnan(kappa):
        return "undefined"
    if kappa < 0:
        return "poor"
    for upper, label in _BANDS:
        if kappa <= upper:
            return label
    return "almost perfect"


# ---------------------------------------------------------------- a review's screening


def category(decision: str) -> str:
    """The category a decision is compared in: "maybe" counts as include."""
    return "include" if decision == "maybe" else decision


@dataclass(frozen=True)
class Agreement:
    """Agreement of the human reviewers at one stage (`stage_agreement`).

    `method` is "cohen" (two reviewers: `table`, `rows`, `columns`, `n_both`, `n_only`,
    `pabak`), "fleiss" (three or more: `n_items`), or "" with `note` saying why nothing
    was compared. Undefined statistics are NaN.
    """

    stage: str
    reviewers: tuple[str, ...]
    note: str = ""
    method: str = ""
    categories: tuple[str, ...] = ()
    table: tuple[tuple[int, ...], ...] = ()  # rows: the first reviewer's decisions
    rows: str = ""
    columns: str = ""
    n_both: int = 0
    n_only: dict[str, int] = field(default_factory=dict, hash=False)
    n_items: int = 0
    percent_agreement: float = math.nan
    kappa: float = math.nan
    band: str = ""
    pabak: float = math.nan
    ac1: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        """The `slr agreement --json` object: the keys of its method only."""
        head: dict[str, Any] = {"stage": self.stage, "reviewers": list(self.reviewers)}
        if self.note:
            return head | {"note": self.note}
        head |= {"method": self.method, "categories": list(self.categories)}
        if self.method == "cohen":
            return head | {
                "table": [list(r) for r in self.table],
                "rows": self.rows,
                "columns": self.columns,
                "n_both": self.n_both,
                "n_only": dict(self.n_only),
                "percent_agreement": self.percent_agreement,
                "kappa": self.kappa,
                "band": self.band,
                "pabak": self.pabak,
                "ac1": self.ac1,
            }
        return head | {
            "n_items": self.n_items,
            "percent_agreement": self.percent_agreement,
            "kappa": self.kappa,
            "band": self.band,
            "ac1": self.ac1,
        }


def stage_agreement(review: Any, stage: str) -> Agreement:
    """Agreement of the human reviewers at one stage, on the works they both (all) screened."""
    from slr.screen.state import independent_decisions

    return agreement_of(stage, independent_decisions(review, stage))


def agreement_of(stage: str, by_reviewer: dict[str, dict[str, Any]]) -> Agreement:
    """Agreement of these reviewers' decisions (reviewer -> work id -> Decision), as
    `stage_agreement` computes it; `slr calibrate` gives it the calibration sample's."""
    names = sorted(by_reviewer)
    if len(names) < 2:
        note = "fewer than two reviewers screened this stage; nothing to compare"
        return Agreement(stage, tuple(names), note=note)
    if len(names) == 2:
        a, b = (by_reviewer[n] for n in names)
        both = [w for w in a if w in b]
        pairs = [(category(a[w].decision), category(b[w].decision)) for w in both]
        cats, table = confusion(pairs, _categories(pairs))
        kappa = cohen_kappa(table)
        return Agreement(
            stage,
            tuple(names),
            method="cohen",
            categories=tuple(cats),
            table=tuple(tuple(r) for r in table),
            rows=names[0],
            columns=names[1],
            n_both=len(both),
            n_only={names[0]: len(a) - len(both), names[1]: len(b) - len(both)},
            percent_agreement=percent_agreement(table),
            kappa=kappa,
            band=landis_koch(kappa),
            pabak=pabak(table) if both else math.nan,
            ac1=gwet_ac1(table),
        )
    works = sorted({w for decided in by_reviewer.values() for w in decided})
    labels = sorted(
        {category(d.decision) for decided in by_reviewer.values() for d in decided.values()}
    )
    cats = _categories([(c, c) for c in labels])
    counts = []
    for w in works:
        row = [0] * len(cats)
        for decided in by_reviewer.values():
            if w in decided:
                row[cats.index(category(decided[w].decision))] += 1
        counts.append(row)
    stats = multi_rater(counts)
    return Agreement(
        stage,
        tuple(names),
        method="fleiss",
        categories=tuple(cats),
        n_items=stats.items,
        percent_agreement=stats.p_a,
        kappa=stats.fleiss,
        band=landis_koch(stats.fleiss),
        ac1=stats.ac1,
    )


def _categories(pairs: Sequence[tuple[str, str]]) -> list[str]:
    # include and exclude are always both columns so a one-sided table still has its zeros
    seen = {c for p in pairs for c in p}
    return ["include", "exclude"] + sorted(seen - {"include", "exclude"})


def format_agreement(result: Agreement) -> str:
    """Plain-text rendering of `stage_agreement`."""
    head = f"{result.stage}: reviewers {', '.join(result.reviewers) or '(none)'}"
    if result.note:
        return f"{head}\n  {result.note}"
    lines = [head]
    if result.method == "cohen":
        only = ", ".join(f"{k} only {v}" for k, v in result.n_only.items())
        lines.append(f"  works screened by both: {result.n_both} ({only})")
        cats = result.categories
        rows, cols = result.rows, result.columns
        first = max(len(rows) + len(c) + 2 for c in cats) + 2
        width = max(len(cols) + len(c) + 2 for c in cats) + 2
        heads = "".join(f"{cols + ': ' + c:>{width}}" for c in cats)
        lines.append(f"  {'':<{first}}{heads}")
        for c, row in zip(cats, result.table, strict=True):
            lines.append(f"  {rows + ': ' + c:<{first}}" + "".join(f"{v:>{width}}" for v in row))
        lines.append(f"  percent agreement {_num(result.percent_agreement, pct=True)}")
        lines.append(f"  Cohen's kappa {_num(result.kappa)} ({_band(result)})")
        lines.append(f"  PABAK {_num(result.pabak)}, Gwet's AC1 {_num(result.ac1)}")
    else:
        lines.append(f"  works screened by two or more: {result.n_items}")
        lines.append(f"  percent agreement {_num(result.percent_agreement, pct=True)}")
        lines.append(f"  Fleiss' kappa {_num(result.kappa)} ({_band(result)})")
        lines.append(f"  Gwet's AC1 {_num(result.ac1)}")
    return "\n".join(lines)


def _band(result: Agreement) -> str:
    if result.band == "undefined":
        return "undefined: chance agreement is 1, every decision fell in one category"
    return f"Landis & Koch: {result.band}"


def _num(value: float, pct: bool = False) -> str:
    if value is None or math.isnan(value):
        return "undefined"
    return f"{value * 100:.1f}%" if pct else f"{value:.3f}"
