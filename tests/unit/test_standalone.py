"""The repository stands alone: no file points outside it, and every relative markdown link resolves in it.

`make test` must pass on a clone with nothing beside it (issue 16). So no file may name the folder the
project was first developed next to (its scenarios or its design document) or an absolute path of a
development machine; the contract lives in docs/design.md and the scenarios in tests/data/scenarios/.
And a reader following a relative link from a markdown page must land on a file (and heading) that exists.
"""

from __future__ import annotations

import re
import subprocess
import urllib.parse
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Not the project's files: tools' caches, the virtual environment, the local platform's data.
SKIPPED_DIRS = frozenset(
    {".git", ".venv", ".goalstream", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "node_modules"}
)

# Each pattern has a bracketed letter so that this file, which is scanned too, does not match itself.
OUTSIDE = re.compile(
    "|".join(
        (
            r"\.\./+s[h]ared\b",  # the folder beside the checkout
            r"/s[h]ared/(?:scenarios|DESIGN)",  # the same, by any absolute path
            r"(?<![\w.~-])/w[o]rk/",  # an absolute path of the development machines
            r"\bD[E]SIGN\.md\b",  # the original contract's file name: cite docs/design.md ("DESIGN §n") instead
        )
    )
)

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def repository_files(root: Path = ROOT) -> list[Path]:
    """Tracked files and new ones not ignored (what a commit would hold); a walk when there is no git."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout.decode()
        candidates: Iterable[Path] = (root / name for name in listed.split("\0") if name)
    except (OSError, subprocess.CalledProcessError):
        candidates = root.rglob("*")
    return sorted(
        path for path in candidates if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(root).parts)
    )


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data:
        return None  # binary
    try:
        return data.decode()
    except UnicodeDecodeError:
        return None


def outside_references(path: Path, root: Path = ROOT) -> Iterator[str]:
    """`file:line: text` for each line of `path` that points outside the repository."""
    text = _text(path)
    for number, line in enumerate((text or "").splitlines(), start=1):
        if OUTSIDE.search(line):
            yield f"{path.relative_to(root)}:{number}: {line.strip()}"


def _prose(markdown: str) -> str:
    """The markdown without code blocks and code spans, where brackets are not links."""
    return _CODE_SPAN.sub("", _FENCE.sub("", markdown))


def anchors(markdown: str) -> set[str]:
    """The heading anchors GitHub makes: lower case, punctuation dropped, spaces to '-', repeats numbered."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", markdown)):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def broken_links(page: Path, root: Path = ROOT) -> Iterator[str]:
    """Each relative link of the markdown `page` that leads to no file, outside the repository, or no heading."""
    text = _text(page) or ""
    prose = _prose(text)
    for target in _INLINE_LINK.findall(prose) + _REFERENCE_LINK.findall(prose):
        if _SCHEME.match(target) or target.startswith("//"):
            continue  # a URL: not the repository's business
        where = f"{page.relative_to(root)}: ({target})"
        location, _, fragment = urllib.parse.unquote(target).partition("#")
        location = location.partition("?")[0]
        if location.startswith("/"):
            yield f"{where} is absolute; link relative to the page"
            continue
        resolved = (page.parent / location).resolve() if location else page
        if not resolved.is_relative_to(root):
            yield f"{where} leads outside the repository"
        elif not resolved.exists():
            yield f"{where} leads to no file"
        elif fragment and resolved.suffix == ".md" and fragment.lower() not in anchors(resolved.read_text()):
            yield f"{where} names no heading of {resolved.relative_to(root)}"


def test_no_file_points_outside_the_repository() -> None:
    found = [line for path in repository_files() for line in outside_references(path)]
    assert found == [], "files pointing outside the repository:\n" + "\n".join(found)


def test_every_relative_markdown_link_resolves() -> None:
    pages = [path for path in repository_files() if path.suffix == ".md"]
    assert ROOT / "README.md" in pages and ROOT / "docs" / "design.md" in pages
    broken = [problem for page in pages for problem in broken_links(page)]
    assert broken == [], "broken links:\n" + "\n".join(broken)


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    """The scanners can fail: each kind of outside reference and of broken link is reported."""
    shared, work, design = "sh" + "ared", "wo" + "rk", "DES" + "IGN.md"
    code = tmp_path / "code.py"
    code.write_text(
        f'SCENARIOS = Path("/{work}/{shared}/scenarios")\n'
        f"# see ../{shared}/x.md\n"
        f"# {design} §2\n"
        f"ok = 'https://example.org/{work}/item'  # a URL is fine\n"
    )
    assert [line.split(":")[1] for line in outside_references(code, tmp_path)] == ["1", "2", "3"]

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n\n## The numbers (§2)\n")
    page = tmp_path / "README.md"
    page.write_text(
        "[ok](docs/guide.md) [ok](docs/guide.md#the-numbers-2) [ok](https://example.org/x) [ok](#top)\n"
        "# Top\n"
        f"[out](../{shared}/{design}) [gone](docs/missing.md) [abs](/docs/guide.md) [head](docs/guide.md#nope)\n"
        "```\n[in a fence](nowhere.md)\n```\n`[in a span](nowhere.md)`\n"
    )
    problems = list(broken_links(page, tmp_path))
    assert [p.split("(")[1].split(")")[0] for p in problems] == [
        f"../{shared}/{design}",
        "docs/missing.md",
        "/docs/guide.md",
        "docs/guide.md#nope",
    ], problems
