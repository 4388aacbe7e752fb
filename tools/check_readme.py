#!/usr/bin/env python3
"""Check that the README's quick-start block is examples/quickstart.cpp's marked region, verbatim."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MARK = "// [readme:quickstart]"


def main():
    source = (ROOT / "examples/quickstart.cpp").read_text().split(MARK)
    if len(source) != 3:
        sys.exit("check_readme: examples/quickstart.cpp needs exactly two '%s' lines" % MARK)
    region = source[1].strip("\n")
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- quickstart -->\s*```cpp\n(.*?)\n```", readme, re.S)
    if not m:
        sys.exit("check_readme: README.md has no '<!-- quickstart -->' followed by a ```cpp block")
    if m.group(1).strip("\n") != region:
        sys.exit("check_readme: README.md's quick start differs from examples/quickstart.cpp; copy the marked "
                 "region into the README")
    print("check_readme: README quick start matches examples/quickstart.cpp")
    return 0


if __name__ == "__main__":
    sys.exit(main())
