"""`make demo`: the reference review, offline, end to end, from what `corpus/mlops/` commits.

The committed corpus holds what a researcher keeps: the database exports as downloaded
(`inputs/`, with `imports.toml` saying how each was imported), the screening decision logs,
the coding log and the row labels. The demo replays the pipeline into a scratch corpus under
`--out` (import, de-duplicate, automatic criteria, then the committed decisions and coding),
writes the concept matrix, the PRISMA diagram and the report, and checks that the rebuilt
state matches the committed one. Same inputs, same bytes: the replay's clock is the time the
committed review logged its imports. The command that prints Table 1 and the PRISMA counts
is `slr.cli.demo`.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from slr import protocol as protocol_mod
from slr.corpus import fixed_clock
from slr.errors import SlrError
from slr.progress import Progress
from slr.review import Review
from slr.store import Store, read_jsonl, write_atomic


def _imports(inputs: Path) -> list[dict[str, str]]:
    manifest = inputs / "imports.toml"
    try:
        entries = tomllib.loads(manifest.read_text("utf-8"))["import"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise SlrError(f"{manifest}: cannot read the import manifest ({exc})") from None
    return list(entries)


def rebuild(protocol_path: str | Path, out: Path, progress: Progress | None = None) -> Review:
    """Replay the committed review into `out/corpus/<id>` and return that scratch review."""
    from slr.dedupe.incremental import update
    from slr.importer import import_files
    from slr.screen.rules import auto_screen

    proto = protocol_mod.load(protocol_path)
    committed = protocol_mod.corpus_dir(proto)
    scratch = out / "corpus" / proto.id
    if scratch.exists():
        shutil.rmtree(scratch)
    review = Review(proto, Store(scratch))
    review.store.ensure()
    # the demo copies what people wrote from the committed corpus, never derived state
    for src, dst in zip(Store(committed).human_state(), review.store.human_state(), strict=True):
        if src.is_dir():
            shutil.copytree(src, dst)
        elif src.is_file():
            shutil.copy2(src, dst)
    inputs = committed / "inputs"
    entries = _imports(inputs)
    with fixed_clock(_replay_time(committed, entries)):
        for entry in entries:
            import_files(
                review,
                [inputs / entry["file"]],
                source=entry.get("source"),
                query=entry.get("query"),
                date=entry.get("date"),
                progress=progress,
            )
        update(review)
        auto_screen(review, progress)
    return review


def _replay_time(committed: Path, entries: list[dict[str, str]]) -> str:
    """When the committed review logged its imports (else the last search date): the replay's clock."""
    logged = [
        str(e["logged"]) for e in read_jsonl(Store(committed).searchlog_file) if "logged" in e
    ]
    if logged:
        return max(logged)
    dates = [str(e["date"]) for e in entries if e.get("date")]
    return (max(dates) if dates else "1970-01-01") + "T00:00:00Z"


def _derived(store: Store) -> tuple[Path, ...]:
    return (store.records_file, store.works_file, store.decisions_file("auto"))


def same_state(a: Path, b: Path) -> list[str]:
    """Files of the derived state that differ between two corpus folders."""
    differ = []
    for path in _derived(Store(a)):
        left = [_strip(d) for d in read_jsonl(path)]
        right = [_strip(d) for d in read_jsonl(b / path.relative_to(a))]
        if left != right:
            differ.append(path.relative_to(a).as_posix())
    return differ


def _strip(entry: dict) -> dict:  # type: ignore[type-arg]
    return {k: v for k, v in entry.items() if k not in ("time", "logged")}


def run(protocol_path: str | Path, out: Path, progress: Progress | None = None) -> dict[str, Path]:
    """Rebuild the review and write every output; returns name -> path."""
    from slr.matrix.model import render, review_matrix
    from slr.prisma.counts import compute
    from slr.prisma.render import to_csv, to_svg, to_tikz
    from slr.report import write_report

    review = rebuild(protocol_path, out, progress)
    matrix = review_matrix(review)
    counts = compute(review)
    outputs = {
        "table1.csv": render(matrix, "csv"),
        "table1.tex": render(matrix, "latex"),
        "table1.md": render(matrix, "markdown"),
        "prisma.svg": to_svg(counts),
        "prisma.tex": to_tikz(counts),
        "prisma.csv": to_csv(counts),
    }
    paths = {}
    for name, data in outputs.items():
        write_atomic(out / name, data)
        paths[name] = out / name
    for path in write_report(review, out / "report.md"):
        paths[path.name] = path
    write_report(review, out / "report.html")
    paths["report.html"] = out / "report.html"
    return paths


def main() -> None:
    """`python -m slr.demo` (`make demo`); the command itself lives with the CLI."""
    from slr.cli.demo import demo

    demo()


if __name__ == "__main__":
    main()
