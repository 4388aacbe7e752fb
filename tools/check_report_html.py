#!/usr/bin/env python3
"""Open amct's HTML accuracy report in headless Chromium and check that it renders cleanly.

    python3 tools/check_report_html.py --chromium /usr/bin/chromium --tests build/test/tests/amct_test_analysis
    python3 tools/check_report_html.py --chromium /usr/bin/chromium --html report.html   # any report

With --tests, the sample report of tests/analysis/test_report.cpp is written by running that test case with
AMCT_REPORT_OUT set, and the checker proves it can fail: a copy with a script error and a copy without the
histograms must both be rejected. A report passes when Chromium's --dump-dom run logs no console message
(every CONSOLE line of its stderr counts: the report has no script, so any message is a fault) and the DOM
has the report's sections, tables and SVG figures. Exit status 0 on success, 1 with the problems listed.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile


def render(chromium, html_path, profile):
    """The DOM Chromium builds from the file and the console messages it logs."""
    cmd = [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
           "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", "--dump-dom",
           "file://" + os.path.abspath(html_path)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        return None, ["chromium exited with %d: %s" % (run.returncode, run.stderr[-2000:])]
    console = [line for line in run.stderr.splitlines() if re.search(r":CONSOLE[:(]", line)]
    return run.stdout, console


def problems_of(chromium, html_path, profile, sample):
    dom, console = render(chromium, html_path, profile)
    found = ["console: " + line for line in console]
    if dom is None:
        return found
    expected = [("the title", r"<h1>[^<]+</h1>"), ("the per-layer table", r'<table class="layers">'),
                ("metric bars", r'<svg class="bar"'), ("a histogram", r'<figure class="hist">'),
                ("a clip line", r'<line class="clip ')]
    if sample:  # what tests/analysis/test_report.cpp's sample_report() holds
        expected += [("the summary", r'<section id="summary">'), ("the tuning log", r'<section id="log">'),
                     ("an escaped layer name", re.escape('block/&lt;conv2&gt;&amp;"x"')),
                     ("the flagged row", r'<tr class="flagged">')]
    for what, pattern in expected:
        if not re.search(pattern, dom):
            found.append("the DOM has no %s (/%s/)" % (what, pattern))
    if sample and len(re.findall(r'<figure class="hist">', dom)) != 2:
        found.append("the DOM does not have the sample's 2 histograms")
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chromium", required=True)
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--tests", help="amct_test_analysis, to write the sample report and run the negative cases")
    group.add_argument("--html", help="a report to check")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="amct_report_") as tmp:
        profile = os.path.join(tmp, "profile")
        if args.html:
            problems = problems_of(args.chromium, args.html, profile, False)
            for p in problems:
                print("check_report_html: %s: %s" % (args.html, p))
            return 1 if problems else 0
        report = os.path.join(tmp, "report.html")
        run = subprocess.run([args.tests, "-tc=the sample report*"], env=dict(os.environ, AMCT_REPORT_OUT=report),
                             capture_output=True, text=True)
        if run.returncode != 0 or not os.path.isfile(report):
            print("check_report_html: the sample report was not written:\n" + run.stdout + run.stderr)
            return 1
        failed = False
        problems = problems_of(args.chromium, report, profile, True)
        for p in problems:
            print("check_report_html: sample report: " + p)
            failed = True
        html = open(report, encoding="utf-8").read()
        # negative cases: the checker must reject them
        broken = {
            "a script error": html.replace("</body>", "<script>report_is_broken();</script></body>"),
            "no histograms": re.sub(r'<section id="histograms">.*?</section>', "", html, flags=re.S),
        }
        for name, text in broken.items():
            path = os.path.join(tmp, "broken.html")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            found = problems_of(args.chromium, path, profile, True)
            if not found:
                print("check_report_html: the checker accepted a report with %s" % name)
                failed = True
            else:
                print("check_report_html: rejected as expected (%s): %s" % (name, found[0]))
        if not failed:
            print("check_report_html: the sample report renders without console messages (%d bytes)" % len(html))
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
