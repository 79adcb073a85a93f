"""Candidate pairs without comparing all pairs: exact-key blocks plus sorted neighbourhoods.

Cost is near-linear: every pass is a sort or a factorisation plus a bounded number of
neighbours per record (`Settings.window`, `Settings.block_cap`), done with numpy and
rapidfuzz's vectorised `cpdist` rather than Python loops over pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from slr.dedupe.compare import Settings
from slr.dedupe.table import Table

NEIGHBOUR_CUTOFF = 70.0  # title similarity below which sorted neighbours are not compared
MAX_CROSS = 6  # members per key group used when pairing two similar keys


def _codes(keys: Sequence[object]) -> np.ndarray:
    """Integer code per key; -1 for empty keys."""
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
    empty = [k for k, u in enumerate(uniques) if not u]
    if empty:
        codes = np.where(np.isin(codes, empty), -1, codes)
    return codes


def _combine(*parts: np.ndarray) -> np.ndarray:
    """One code per combination of codes; -1 where any part is -1."""
    out = parts[0].astype(np.int64)
    for part in parts[1:]:
        out = np.where((out < 0) | (part < 0), -1, out * (int(part.max()) + 1) + part)
        valid = out >= 0
        if valid.any():
            out[valid] = pd.factorize(out[valid])[0]
    return out


def exact_pairs(codes: np.ndarray, order_key: np.ndarray, cap: int) -> np.ndarray:
    """Pairs of records sharing a code: all pairs in blocks up to `cap`, a window beyond."""
    if len(codes) < 2:
        return np.empty((0, 2), dtype=np.int64)
    order = np.lexsort((order_key, codes))
    sorted_codes = codes[order]
    out = []
    for k in range(1, cap):
        same = (sorted_codes[:-k] == sorted_codes[k:]) & (sorted_codes[:-k] >= 0)
        if not same.any():
            break
        idx = np.nonzero(same)[0]
        out.append(np.stack([order[idx], order[idx + k]], axis=1))
    return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)


def _sort_order(keys: list[str]) -> np.ndarray:
    """Order of keys by their first 48 bytes (C-speed sort; ties beyond do not matter here)."""
    prefix = np.array([k.encode("utf-8")[:48] for k in keys], dtype="S48")
    return np.argsort(prefix, kind="stable")


def neighbour_pairs(words: list[str], codes: np.ndarray, window: int, reverse: bool) -> np.ndarray:
    """Records whose titles sort close together and are similar (sorted neighbourhood).

    Works on distinct title keys, so exact duplicates cost nothing here; two similar keys
    pair up their first `MAX_CROSS` records each. `reverse` sorts on the words read
    backwards, which brings together titles that differ at the start.
    """
    valid = np.nonzero(codes >= 0)[0]
    if len(valid) < 2:
        return np.empty((0, 2), dtype=np.int64)
    by_code = valid[np.argsort(codes[valid], kind="stable")]
    sorted_codes = codes[by_code]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    ends = np.r_[starts[1:], len(by_code)]
    firsts = by_code[starts].tolist()
    texts = [words[p] for p in firsts]
    if reverse:
        keys = [" ".join(w.split()[::-1]) for w in texts]
    else:
        keys = texts
    order = _sort_order(keys).tolist()
    ranked = [texts[k] for k in order]
    out: list[tuple[int, int]] = []
    for off in range(1, window + 1):
        if len(ranked) <= off:
            break
        sims = process.cpdist(
            ranked[:-off],
            ranked[off:],
            scorer=fuzz.ratio,
            score_cutoff=NEIGHBOUR_CUTOFF,
            workers=-1,
        )
        for k in np.flatnonzero(sims).tolist():
            ga, gb = order[k], order[k + off]
            members_a = by_code[starts[ga] : min(ends[ga], starts[ga] + MAX_CROSS)].tolist()
            members_b = by_code[starts[gb] : min(ends[gb], starts[gb] + MAX_CROSS)].tolist()
            for a in members_a:
                for b in members_b:
                    out.append((a, b) if a < b else (b, a))
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def candidate_pairs(t: Table, st: Settings) -> np.ndarray:
    """Unique (i, j) pairs, i < j, worth comparing."""
    n = len(t)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    years = np.array(t.year, dtype=np.int64)
    key_codes = _codes(t.key)
    parts = [
        exact_pairs(key_codes, years, st.block_cap),
        exact_pairs(_codes(t.doi), years, st.block_cap),
    ]
    # same first author, year and first page: catches titles reworded or translated
    year_codes = np.where(years > 0, years, -1)
    page_codes = _codes([p.partition("-")[0] for p in t.page])
    bib = _combine(_codes(t.first_author), year_codes, page_codes)
    parts.append(exact_pairs(bib, key_codes, st.block_cap))
    parts.append(neighbour_pairs(t.words, key_codes, st.window, reverse=False))
    parts.append(neighbour_pairs(t.words, key_codes, max(1, st.window // 2), reverse=True))
    found = [p for p in parts if len(p)]
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(found)
    lo = np.minimum(pairs[:, 0], pairs[:, 1])
    hi = np.maximum(pairs[:, 0], pairs[:, 1])
    keep = lo != hi
    code = np.unique(lo[keep] * n + hi[keep])
    return np.stack([code // n, code % n], axis=1)
