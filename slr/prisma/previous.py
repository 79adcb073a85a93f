"""The previous version of a review, read from git: what an updated review's diagram carries over.

PRISMA 2020's template for updated reviews has a "Previous studies" column ("Studies
included in previous version of review", "Reports of studies included in previous version
of review") and counts only the new identification in columns A and B. `slr prisma
--previous REF` takes the previous version from the git repository that holds the review:
REF is a tag (`v1`), a commit, or a date (YYYY-MM-DD: the last commit of the current branch
on or before that day, first parents only). The review's files as committed there (protocol
and corpus, without the raw archive) are read into a temporary folder and counted as a
finished review; its record ids tell the update's records from the earlier ones.
"""

from __future__ import annotations

import re
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import date as Date
from io import BytesIO
from pathlib import Path

from slr.corpus import load_records
from slr.errors import SlrError
from slr.review import Review, open_review


class PreviousError(SlrError):
    """REF names no version of the review (not a git repository, unknown ref, no such files)."""


@dataclass(frozen=True)
class Previous:
    """The previous version of the review: where it was read from and what it included."""

    ref: str  # as given
    commit: str
    committed: str  # the commit's date, YYYY-MM-DD
    studies: int
    reports: int
    record_ids: frozenset[str]  # every record the previous version held
    included: frozenset[str]  # the work ids of its included reports

    def label(self) -> str:
        where = f"{self.ref} ({self.commit[:10]}, {self.committed})"
        return where if self.ref != self.commit else f"{self.commit[:10]} ({self.committed})"


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(  # git's own messages are replaced by ours: not shown
            ["git", "-C", str(repo), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        raise PreviousError(
            "--previous reads the review's earlier version from git, which is not installed"
        ) from None


def _toplevel(folder: Path) -> Path:
    done = _git(folder, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise PreviousError(
            f"{folder}: not in a git repository; --previous REF reads the review as committed "
            "at REF (commit the review and tag the published version, e.g. `git tag v1`)"
        )
    return Path(done.stdout.decode().strip())


def _commit(repo: Path, ref: str) -> str:
    if len(ref) == 10 and ref[4:5] == "-" and ref[7:8] == "-":
        try:
            Date.fromisoformat(ref)
        except ValueError:
            raise PreviousError(f"--previous {ref}: not a valid date (YYYY-MM-DD)") from None
        done = _git(repo, "rev-list", "-1", "--first-parent", f"--before={ref} 23:59:59", "HEAD")
        sha = done.stdout.decode().strip()
        if done.returncode != 0 or not sha:
            raise PreviousError(
                f"--previous {ref}: {repo} has no commit on or before that day; give a later "
                "date, a tag or a commit"
            )
        return sha
    done = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode != 0:
        tags = _git(repo, "tag", "--list").stdout.decode().split()
        known = f"tags: {', '.join(tags)}" if tags else "the repository has no tags"
        raise PreviousError(
            f"--previous {ref}: not a tag, commit or date (YYYY-MM-DD) in {repo}; {known}"
        )
    return done.stdout.decode().strip()


def _inside(path: Path, repo: Path) -> str:
    try:
        return path.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        raise PreviousError(
            f"{path}: not inside the git repository {repo}; keep the protocol and the corpus "
            "in the review's repository"
        ) from None


def _exists(repo: Path, commit: str, rel: str) -> bool:
    return _git(repo, "cat-file", "-e", f"{commit}:{rel}").returncode == 0


def _unfinished(problem: str) -> str:
    """What the old version lacked, without the advice to run a command: that advice is for
    today's review, and the old version cannot be screened or drawn as interim any more."""
    problem = problem.split(": the diagram needs final decisions", 1)[0]
    return re.sub(r" \((?:run|decide them with) `[^`]*`\)", "", problem)


def read_previous(review: Review, ref: str) -> Previous:
    """The review as committed at REF, counted: its included studies and reports."""
    from slr.prisma.counts import PrismaError, compute

    protocol = review.protocol.path
    repo = _toplevel(protocol.resolve().parent)
    commit = _commit(repo, ref)
    corpus_rel = _inside(review.store.root, repo)
    protocol_rel = _inside(protocol, repo)
    if not _exists(repo, commit, corpus_rel):
        raise PreviousError(
            f"--previous {ref}: commit {commit[:10]} has no {corpus_rel}; "
            "choose the commit or tag of the published version"
        )
    paths = [corpus_rel] + ([protocol_rel] if _exists(repo, commit, protocol_rel) else [])
    archive = _git(
        repo, "archive", "--format=tar", commit, "--", *paths, f":(exclude){corpus_rel}/raw"
    )
    if archive.returncode != 0:
        raise PreviousError(
            f"--previous {ref}: `git archive {commit[:10]} -- {' '.join(paths)}` failed in {repo}"
        )
    committed = _git(repo, "show", "-s", "--format=%cs", commit).stdout.decode().strip()
    with tempfile.TemporaryDirectory(prefix="slr-previous-") as tmp:
        with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        old_protocol = Path(tmp) / protocol_rel if len(paths) == 2 else protocol
        old = open_review(old_protocol, corpus=Path(tmp) / corpus_rel)
        try:
            counts = compute(old)
        except PrismaError as exc:
            raise PreviousError(
                f"--previous {ref}: the review as committed at {commit[:10]} ({committed}) was "
                f"not finished ({_unfinished(str(exc))}); give the tag, commit or date of the "
                "version whose diagram was published"
            ) from None
        from slr.screen.state import included_works

        ids = frozenset(r.id for r in load_records(old))
        included = frozenset(w.work_id for w in included_works(old))
    return Previous(ref, commit, committed, counts.new_studies, counts.new_reports, ids, included)
