#!/usr/bin/env python3
"""Compile time of amct's headers against the headers of their dependencies.

Each translation unit below is compiled with `CXX -O0 -std=c++17 -c` (output discarded), round-robin, RUNS times;
a unit's figure is its best user+sys CPU time (the compiler's own, read with wait4). Targets:
  amct.hpp (separate compilation)  <= 1.5 x deps_all (xtensor, xsimd, Spirit X3, Boost.JSON)
  core.hpp                         <= 1.2 x deps_core (xtensor, xsimd)
Also shown: amct.hpp header-only and src.cpp (the compiled library's one translation unit, <amct/src.hpp>).

    python3 bench/compile_time.py                      # g++, 5 runs
    python3 bench/compile_time.py --runs 9 --cxx clang++-14
    python3 bench/compile_time.py --only core,deps_core  # a subset, by name
Exits 1 if a target is missed.
"""
import argparse
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Exactly the dependency headers amct includes: include/amct/detail/xtensor.hpp (both xtensor layouts),
# simd/arch.hpp (xsimd), dsl/text_format.hpp (X3) and the JSON readers (boost/json.hpp).
XTENSOR = """#if __has_include(<xtensor/containers/xtensor.hpp>)
#include <xtensor/containers/xadapt.hpp>
#include <xtensor/containers/xarray.hpp>
#include <xtensor/containers/xtensor.hpp>
#include <xtensor/core/xeval.hpp>
#include <xtensor/core/xexpression.hpp>
#include <xtensor/views/xview.hpp>
#else
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xeval.hpp>
#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>
#endif
#include <xsimd/xsimd.hpp>
"""
BOOST = "#include <boost/spirit/home/x3.hpp>\n#include <boost/json.hpp>\n"

# name: (source, extra flags)
UNITS = {
    "deps_core": (XTENSOR, []),
    "core": ("#include <amct/core.hpp>\n", []),
    "deps_all": (XTENSOR + BOOST, []),
    "amct_separate": ("#include <amct/amct.hpp>\n", ["-DAMCT_SEPARATE_COMPILATION"]),
    "amct_header_only": ("#include <amct/amct.hpp>\n", []),
    "src": ("#include <amct/src.hpp>\n", ["-DAMCT_SEPARATE_COMPILATION"]),
}
# (unit, baseline, limit)
TARGETS = [("core", "deps_core", 1.2), ("amct_separate", "deps_all", 1.5)]


def cpu_seconds(cmd):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit("compile_time: %s failed:\n%s" % (" ".join(cmd), err.decode()[:4000]))
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cxx", default=os.environ.get("CXX", "g++"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--include", default=str(ROOT / "include"), help="amct's include directory")
    parser.add_argument("--only", default="", help="comma-separated unit names (default: all)")
    parser.add_argument("flags", nargs="*", help="more compiler flags (after --), e.g. -mavx2 -mfma")
    args = parser.parse_args()
    names = [n for n in UNITS if not args.only or n in args.only.split(",")]
    times = {n: [] for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        for n in names:
            pathlib.Path(tmp, n + ".cpp").write_text(UNITS[n][0])
        for _ in range(args.runs):
            for n in names:
                cmd = [args.cxx, "-O0", "-std=c++17", "-I" + args.include] + UNITS[n][1] + args.flags
                times[n].append(cpu_seconds(cmd + ["-c", os.path.join(tmp, n + ".cpp"), "-o", os.devnull]))
    version = subprocess.run([args.cxx, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print("%s -O0 -std=c++17 %s, best of %d runs (user+sys CPU seconds)" % (version, " ".join(args.flags),
                                                                              args.runs))
    for n in names:
        print("  %-17s %6.2f   (runs: %s)" % (n, min(times[n]), " ".join("%.2f" % t for t in times[n])))
    failed = False
    for unit, base, limit in TARGETS:
        if unit in times and base in times:
            ratio = min(times[unit]) / min(times[base])
            ok = ratio <= limit
            failed |= not ok
            print("  %s / %s = %.2f (target <= %.1f): %s" % (unit, base, ratio, limit, "pass" if ok else "FAIL"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
