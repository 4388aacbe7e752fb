#!/usr/bin/env python3
"""Check that every citation of a docs/ page resolves: each `docs/<page>.md#anchor` (in code, scripts, data
headers, README.md and docs/) names a heading of that page, each `docs/<page>.md` of a non-Markdown file names
an existing page, and so do the relative Markdown links `[text](page.md)`, `[text](page.md#anchor)` and
`[text](#anchor)` of the Markdown files (README.md's `docs/...` links included).

Anchors are GitHub's: the heading text lowercased, everything but letters, digits, spaces, '-' and '_' dropped,
spaces turned into '-', and a repeated anchor in one page suffixed with -1, -2, ... Headings inside fenced
code blocks do not count. Exits 1 and lists the broken links if there are any.
"""
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# docs/<page>.md[#anchor] not preceded by a path character (so `horizon/docs/x.md` of another repository is not
# taken for one of ours).
CITATION = re.compile(r"(?<![\w./-])docs/([\w./-]+?\.md)(?:#([\w-]+))?")
MD_LINK = re.compile(r"\]\(([^()\s]+)\)")


def slug(text):
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url) -> text
    text = text.strip().lower()
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


def anchors(path, cache={}):
    """The anchors of the Markdown file at `path`, or None if there is no such file."""
    path = path.resolve()
    if path not in cache:
        if not path.is_file():
            cache[path] = None
        else:
            seen, found, fenced = {}, set(), False
            for line in path.read_text(encoding="utf-8").splitlines():
                if FENCE.match(line):
                    fenced = not fenced
                    continue
                m = None if fenced else HEADING.match(line)
                if m:
                    base = slug(m.group(2))
                    n = seen.get(base, 0)
                    seen[base] = n + 1
                    found.add(base if n == 0 else "%s-%d" % (base, n))
            cache[path] = found
    return cache[path]


def check(target, anchor, where, broken):
    found = anchors(target)
    name = os.path.relpath(target, ROOT)
    if found is None:
        broken.append("%s: %s: no such file" % (where, name))
    elif anchor and anchor not in found:
        broken.append("%s: %s#%s: no such heading" % (where, name, anchor))


def source_files():
    """The repository's files (git's tracked and untracked, not ignored ones), or every file outside build/."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                             check=True, capture_output=True).stdout
        names = sorted(set(n for n in out.decode().split("\0") if n))
    except (OSError, subprocess.CalledProcessError):
        names = []
        for d, dirs, files in os.walk(ROOT):
            dirs[:] = [x for x in dirs if x not in (".git", "build")]
            names += [os.path.relpath(os.path.join(d, f), ROOT) for f in files]
    for name in names:
        if not name.startswith("build/"):
            yield ROOT / name


def main():
    broken = []
    count = 0
    for path in source_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        rel = path.relative_to(ROOT)
        fenced = False
        for number, line in enumerate(text.splitlines(), 1):
            where = "%s:%d" % (rel, number)
            for m in CITATION.finditer(line):
                if path.suffix == ".md" and not m.group(2):
                    continue  # prose may name another repository's docs/ files; links are checked below
                count += 1
                check(ROOT / "docs" / m.group(1), m.group(2), where, broken)
            if path.suffix != ".md":
                continue
            if FENCE.match(line):
                fenced = not fenced
            if fenced:
                continue
            for m in MD_LINK.finditer(line):
                link = m.group(1)
                if "://" in link or link.startswith("mailto:"):
                    continue
                page, _, anchor = link.partition("#")
                if page and not page.endswith(".md"):
                    continue
                if page.startswith("docs/") and anchor:
                    continue  # a docs/ citation with an anchor, checked above
                count += 1
                check(path.parent / page if page else path, anchor, where, broken)
    if broken:
        print("check_doc_links: %d broken link(s):" % len(broken))
        for b in broken:
            print("  " + b)
        return 1
    print("check_doc_links: %d docs links resolve" % count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
