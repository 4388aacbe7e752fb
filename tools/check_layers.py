#!/usr/bin/env python3
"""Check the folder stack of include/amct (README.md, "Development": the layout).

Fails, naming file:line, for
  * an `#include <amct/...>` of a folder above the including header's own folder, or of an umbrella header
    (amct.hpp, core.hpp, algo.hpp, analysis.hpp: outside the stack, like version.hpp, which anything may include);
  * a use of `detail::NAME` where NAME is defined (inside a `namespace detail`) only in headers of other folders
    that are not detail/ or base/: a helper used by several folders lives in detail/ or is the public API of
    the folder that owns it;
  * a definitions file (FOLDER/impl/NAME.ipp, amct/base/macros.hpp: AMCT_DECL) that is not included by its header
    FOLDER/NAME.hpp inside `#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)` or not listed in amct/src.hpp. An .ipp
    belongs to its header's folder: the same rules apply to its includes.
A simple scan (comments and strings blanked, regular expressions), not a C++ parser.

    python3 tools/check_layers.py
"""
import argparse
import pathlib
import re
import sys

# Lowest first: a header includes only headers of its own folder or of folders before it.
STACK = ["base", "detail", "core", "simd", "tensor", "model", "algo", "dsl", "config", "pipeline", "analysis"]
# Folders whose detail helpers every folder above may use: base/ (detail::throw_error, the one throw path,
# detail::sort_by_position) and detail/.
SHARED = {"base", "detail"}
# Top-level headers the stack may include (the umbrellas and amct/src.hpp are outside the stack).
LEAVES = {"version.hpp"}
# detail::NAME uses allowed across folders: (folder of the user, NAME).
ALLOW: set = set()
# Namespaces with a detail namespace of their own, `QUALIFIER::detail::NAME`: the kernels' amct::kernel::detail
# (simd/) and amct::mpi::detail (pipeline/mpi.hpp).
OWN_DETAIL = {"kernel", "mpi"}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*<amct/([^>]+)>')
IPP_GUARD = "#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)"
DETAIL_USE_RE = re.compile(r'(\b\w+\s*::\s*)?\bdetail\s*::\s*(\w+)')


def strip(text):
    """Comments, string and character literals blanked (newlines kept, so line numbers stay)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == 'R' and text.startswith('R"', i):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def flatten(body):
    """`body` with the contents of every brace pair removed ({...} -> {})."""
    out, depth = [], 0
    for c in body:
        if c == "{":
            if depth == 0:
                out.append(c)
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                out.append(c)
        elif depth == 0:
            out.append(c)
    return "".join(out)


def drop_template_heads(text):
    """`template <...>` heads removed (their default arguments are not declarations)."""
    out, i = [], 0
    for m in re.finditer(r"\btemplate\s*<", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        j, depth = m.end(), 1
        while j < len(text) and depth:
            depth += {"<": 1, ">": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def detail_blocks(text):
    """The bodies of every `namespace detail { ... }` in stripped text."""
    for m in re.finditer(r"\bnamespace\s+detail\s*\{", text):
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        yield text[m.end():j - 1]


def defined_names(body):
    top = drop_template_heads(flatten(body))
    names = set(re.findall(r"\b(?:struct|class|union|enum\s+class|enum)\s+(\w+)", top))
    names |= set(re.findall(r"\busing\s+(\w+)\s*=", top))
    # functions: NAME(params) [const] [noexcept(...)] [-> type] {}
    names |= set(re.findall(r"\b(\w+)\s*\((?:[^()]|\([^()]*\))*\)\s*(?:const\s*)?(?:noexcept(?:\s*\([^()]*\))?\s*)?"
                            r"(?:->[^{;]*)?\{\}", top))
    # variables: constexpr/const ... NAME = ... or NAME{...}
    names |= set(re.findall(r"\b(?:constexpr|const)\b[^;{}()=]*?\b(\w+)\s*(?:\[[^\]]*\])?\s*(?:=|\{\})", top))
    return names - {"operator"}


def check_definitions(root, base):
    """Every FOLDER/impl/NAME.ipp: included by FOLDER/NAME.hpp inside the guard, and listed in amct/src.hpp."""
    problems = []
    src = base / "src.hpp"
    listed = set(m.group(1) for m in map(INCLUDE_RE.match, src.read_text().splitlines()) if m) if src.is_file() else set()
    for ipp in sorted(base.rglob("*.ipp")):
        rel = ipp.relative_to(base)
        shown = ipp.relative_to(root)
        if len(rel.parts) != 3 or rel.parts[1] != "impl":
            problems.append("%s: a definitions file lives in FOLDER/impl/ beside FOLDER/NAME.hpp" % shown)
            continue
        header = base / rel.parts[0] / (ipp.stem + ".hpp")
        if not header.is_file():
            problems.append("%s: no header %s" % (shown, header.relative_to(root)))
            continue
        lines = [l.strip() for l in header.read_text().splitlines()]
        inc = "#include <amct/%s>" % rel.as_posix()
        if not any(lines[i] == IPP_GUARD and lines[i + 1].startswith(inc) and lines[i + 2] == "#endif"
                   for i in range(len(lines) - 2)):
            problems.append("%s: must end with\n%s\n%s\n#endif" % (header.relative_to(root), IPP_GUARD, inc))
        if rel.as_posix() not in listed:
            problems.append("include/amct/src.hpp: does not include <amct/%s>" % rel.as_posix())
    for name in sorted(listed):
        if name.endswith(".ipp") and not (base / name).is_file():
            problems.append("include/amct/src.hpp: includes <amct/%s>, which does not exist" % name)
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=pathlib.Path(__file__).resolve().parent.parent, type=pathlib.Path)
    args = parser.parse_args()
    base = args.root / "include" / "amct"
    headers = sorted(base.rglob("*.hpp")) + sorted(base.rglob("*.ipp"))

    def shown(h):
        return h.relative_to(args.root)

    problems = []
    stripped = {}
    defs = {}  # name -> folders defining it in a detail namespace
    for h in headers:
        rel = h.relative_to(base)
        text = h.read_text()
        stripped[h] = strip(text)
        folder = rel.parts[0] if len(rel.parts) > 1 else "."
        if folder != "." and folder not in STACK:
            problems.append("%s: folder %s/ is not in the stack (tools/check_layers.py STACK)" % (shown(h), folder))
            continue
        for body in detail_blocks(stripped[h]):
            for name in defined_names(body):
                defs.setdefault(name, set()).add(folder)
    for h in headers:
        rel = h.relative_to(base)
        if len(rel.parts) == 1:
            continue  # umbrellas and version.hpp are outside the stack
        folder = rel.parts[0]
        level = STACK.index(folder)
        lines = h.read_text().splitlines()
        for no, line in enumerate(lines, 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            target = pathlib.PurePosixPath(m.group(1))
            if len(target.parts) == 1:
                if target.name not in LEAVES:
                    problems.append("%s:%d: includes the umbrella <amct/%s>" % (shown(h), no, target))
            elif target.parts[0] not in STACK:
                problems.append("%s:%d: includes <amct/%s>, outside the stack" % (shown(h), no, target))
            elif STACK.index(target.parts[0]) > level:
                problems.append("%s:%d: %s/ includes <amct/%s> from %s/, a higher folder"
                                % (shown(h), no, folder, target, target.parts[0]))
        for no, line in enumerate(stripped[h].splitlines(), 1):
            for m in DETAIL_USE_RE.finditer(line):
                qualifier = (m.group(1) or "").replace(" ", "").rstrip(":")
                name = m.group(2)
                if qualifier in OWN_DETAIL:
                    continue
                owners = defs.get(name, set())
                if not owners or folder in owners or owners & SHARED or (folder, name) in ALLOW:
                    continue
                problems.append("%s:%d: detail::%s is defined only in %s; move it to detail/ or make it public"
                                % (shown(h), no, name, ", ".join(sorted(o + "/" for o in owners))))
    problems += check_definitions(args.root, base)
    for p in problems:
        print(p)
    if problems:
        print("check_layers: %d problem(s); the stack, lowest first: %s" % (len(problems), " ".join(STACK)))
        return 1
    print("check_layers: %d headers, the stack holds" % len(headers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
