#!/usr/bin/python3
"""ONNX's checker (Debian's python3-onnx) with full_check (strict shape inference) on model files.

usage: /usr/bin/python3 scripts/onnx_check.py MODEL.onnx...
Prints "ok FILE" or "FAILED FILE: message" per file; exits 1 when any fails.
"""
import sys

import onnx


def main(files):
    failed = 0
    for f in files:
        try:
            onnx.checker.check_model(onnx.load(f), full_check=True)
            print("ok " + f)
        except Exception as e:  # the checker's ValidationError, or a file that does not load
            failed += 1
            print("FAILED %s: %s" % (f, str(e).replace("\n", " ")))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
