"""Two coders' extracted values compared: agreement per field, disagreements, the consensus log.

Per field, on the studies both coders entered (a "not reported" counts as its own value):
- exact agreement for every type (text compared after trimming and case-folding spaces);
- Cohen's kappa (slr.screen.agreement) for booleans and categories; a multiple-choice
  category is compared as the whole set of values chosen, one category per distinct set;
- ICC(2,1) for numbers and integers: two-way random effects, absolute agreement, single
  rater (Shrout & Fleiss 1979, case 2; Koo & Li 2016), on the studies where both gave a
  number. Undefined (NaN) with fewer than two such studies or no variance at all.

Disagreements not yet settled in the `consensus` log are walked like `slr resolve`: take
coder 1's value, coder 2's, or type another (type-checked); each choice is appended to
`extraction/consensus.jsonl` at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slr.errors import SlrError
from slr.extraction import form
from slr.extraction import log as xlog
from slr.review import Review
from slr.screen import agreement

if TYPE_CHECKING:
    from slr.extraction.session import LineIo
    from slr.protocol import Field


def icc_2_1(rows: Sequence[Sequence[float]]) -> float:
    """ICC(2,1) of n targets (rows) each rated by the same k raters (columns); NaN if undefined."""
    n = len(rows)
    k = len(rows[0]) if rows else 0
    if n < 2 or k < 2:
        return math.nan
    grand = sum(map(sum, rows)) / (n * k)
    row_means = [sum(r) / k for r in rows]
    col_means = [sum(r[j] for r in rows) / n for j in range(k)]
    ss_total = sum((x - grand) ** 2 for r in rows for x in r)
    ss_rows = k * sum((m - grand) ** 2 for m in row_means)
    ss_cols = n * sum((m - grand) ** 2 for m in col_means)
    ss_err = ss_total - ss_rows - ss_cols
    ms_r = ss_rows / (n - 1)
    ms_c = ss_cols / (k - 1)
    ms_e = ss_err / ((n - 1) * (k - 1))
    denom = ms_r + (k - 1) * ms_e + k * (ms_c - ms_e) / n
    return math.nan if math.isclose(denom, 0.0, abs_tol=1e-12) else (ms_r - ms_e) / denom


@dataclass(frozen=True)
class FieldAgreement:
    """Agreement of two coders on one field (NaN: undefined or not computed for this type)."""

    field: str
    type: str
    n: int  # studies both coders entered
    agreed: int
    exact: float
    kappa: float = math.nan
    icc: float = math.nan
    n_icc: int = 0  # studies where both gave a number


@dataclass(frozen=True)
class Disagreement:
    work_id: str
    field: str
    values: tuple[xlog.Value, xlog.Value]


@dataclass(frozen=True)
class Comparison:
    coders: tuple[str, str]
    fields: tuple[FieldAgreement, ...]
    disagreements: tuple[Disagreement, ...]  # not yet settled in the consensus log


def compare(
    fields: tuple[Field, ...],
    a: xlog.Values,
    b: xlog.Values,
    names: tuple[str, str],
    consensus: xlog.Values | None = None,
    work_ids: list[str] | None = None,
) -> Comparison:
    """Per-field agreement of two coders' standing values (pure: no disk)."""
    consensus = consensus or {}
    if work_ids is None:
        work_ids = list(dict.fromkeys(w for w, _ in [*a, *b]))
    rows, open_ = [], []
    for f in fields:
        pairs: list[tuple[xlog.Value, xlog.Value]] = []
        for wid in work_ids:
            va, vb = a.get((wid, f.id)), b.get((wid, f.id))
            if va is not None and vb is not None:
                pairs.append((va, vb))
        key = form.comparer(f)
        labels = [(key(va.value), key(vb.value)) for va, vb in pairs]
        agreed = sum(x == y for x, y in labels)
        kappa = icc = math.nan
        n_icc = 0
        if f.type in ("boolean", "category") and labels:
            _, table = agreement.confusion(labels)
            kappa = agreement.cohen_kappa(table)
        if f.type in ("number", "integer"):
            nums = [
                [_number(va), _number(vb)]
                for va, vb in pairs
                if va.value is not None and vb.value is not None
            ]
            n_icc, icc = len(nums), icc_2_1(nums)
        rows.append(
            FieldAgreement(
                f.id, f.type, len(pairs), agreed,
                agreed / len(pairs) if pairs else math.nan, kappa, icc, n_icc,
            )
        )  # fmt: skip
        for (va, vb), (x, y) in zip(pairs, labels, strict=True):
            if x != y and (va.work_id, f.id) not in consensus:
                open_.append(Disagreement(va.work_id, f.id, (va, vb)))
    return Comparison(names, tuple(rows), tuple(open_))


def _number(v: xlog.Value) -> float:
    """A logged number; a hand-edited log holding something else is named, never guessed."""
    if type(v.value) not in (int, float):  # bool is not a number here
        raise SlrError(
            f"extraction/{v.coder}.jsonl: {v.work_id} {v.field}: {v.value!r} is not a number; "
            "fix that line of the log (the file is plain text)"
        )
    return float(v.value)


def pick_pair(review: Review, given: Sequence[str]) -> tuple[str, str]:
    """The two coders to reconcile: the two given, else the only two with a log."""
    if given:
        names = [xlog.resolve_coder(review, n) for n in given]
    else:
        names = xlog.coders(review)
    if len(names) != 2 or names[0] == names[1]:
        found = ", ".join(xlog.coders(review)) or "none yet"
        raise SlrError(
            f"reconciling needs two coders (with logs: {found}); name them with --coder A --coder B"
        )
    return names[0], names[1]


def review_comparison(review: Review, names: tuple[str, str]) -> Comparison:
    from slr.coding.log import included

    fields = xlog.fields_of(review)
    a, b = (xlog.latest(xlog.read_values(review, n)) for n in names)
    consensus = xlog.latest(xlog.read_values(review, xlog.CONSENSUS))
    return compare(fields, a, b, names, consensus, [w.work_id for w in included(review)])


def _num(value: float, pct: bool = False) -> str:
    if math.isnan(value):
        return "-"
    return f"{value * 100:.1f}%" if pct else f"{value:.3f}"


def format_comparison(result: Comparison) -> str:
    """Plain text: a row per field, then how many disagreements are open."""
    a, b = result.coders
    lines = [
        f"extraction: coders {a}, {b} (kappa: Cohen's; ICC: ICC(2,1), absolute agreement)",
        f"  {'field':<20} {'type':<9} {'n':>5} {'exact':>7} {'kappa':>7} {'ICC':>7}",
    ]
    for r in result.fields:
        icc = _num(r.icc) + (
            f" (n={r.n_icc})" if r.n_icc != r.n and r.type in ("number", "integer") else ""
        )
        lines.append(
            f"  {r.field:<20} {r.type:<9} {r.n:>5} {_num(r.exact, True):>7} "
            f"{_num(r.kappa):>7} {icc:>7}"
        )
    if any(
        r.n and r.type in ("boolean", "category") and math.isnan(r.kappa) for r in result.fields
    ):
        lines.append("  kappa -: both coders gave one same value throughout (no variation)")
    n = len(result.disagreements)
    lines.append(f"  {n} disagreement{'s' if n != 1 else ''} not yet reconciled")
    return "\n".join(lines)


def resolve(review: Review, result: Comparison, io: LineIo) -> int:
    """Walk the open disagreements; `1`/`2` take a coder's value, other text is typed in.

    `=VALUE` types one (so that `1` is never mistaken for a number); an empty line skips, `:q` or end of input stops; returns how many were settled.
    """
    fields = {f.id: f for f in xlog.fields_of(review)}
    settled = 0
    total = len(result.disagreements)
    for i, d in enumerate(result.disagreements, start=1):
        f = fields[d.field]
        io.say(f"\nDisagreement {i} of {total} · {d.work_id} · {f.id}: {f.label}")
        for n, v in enumerate(d.values, start=1):
            shown = form.format_value(v.value) or "not reported"
            where = f" — “{v.evidence}”" if v.evidence else ""
            page = f" p. {v.page}" if v.page else ""
            io.say(f"  {n} {v.coder}: {shown}{where}{page}")
        while True:
            answer = io.ask("1 or 2 takes that value, =VALUE types one, Enter skips, :q stops> ")
            if answer is None or answer.strip() == ":q":
                return settled
            text = answer.strip()
            if not text:
                break
            if text in ("1", "2"):
                chosen = d.values[int(text) - 1]
                value, evidence, page = chosen.value, chosen.evidence, chosen.page
                via = {"via": f"reconcile: {chosen.coder}"}
            elif text.startswith("="):
                try:
                    value = form.parse_value(f, text[1:])
                except form.FormError as exc:
                    io.say(f"  {exc}")
                    continue
                evidence, page, via = "", "", {"via": "reconcile: typed"}
            else:
                io.say("  type 1, 2 or =VALUE (e.g. =42)")
                continue
            xlog.record_values(
                review,
                [xlog.Value(xlog.CONSENSUS, d.work_id, f.id, value, evidence, page, extra=via)],
            )
            settled += 1
            break
    return settled
