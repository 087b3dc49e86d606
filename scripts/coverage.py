#!/usr/bin/env python3
"""Line coverage of ebb's own sources after a run of the suite on a --coverage build.

    scripts/coverage.py BUILD [--lines]

Runs gcov on every object of BUILD that has counts (.gcda) and merges what they say per source
file. A header is compiled into many objects (the map template into every test that
instantiates it), so a line of it counts as run when any object ran it. Prints, for each file of
src/, include/ebb/ and tool/, the lines run out of the lines that hold code; with --lines, also
each line never run. Counts come from processes that exit through exit() or a return from
main(): a child that ends with _exit() (the fork tests, a failed exec) writes none, so the
lines only such children run show as never run.
"""
import os
import re
import subprocess
import sys

OURS = ("src/", "include/ebb/", "tool/")
LINE = re.compile(r"\s*([^:]+):\s*(\d+):(.*)")


def gcov_reports(build):
    """Run gcov (from the repository's root, where the sources' paths lead) on each object with
    counts; yield (source, report lines) for every source file the object holds code of."""
    for root, _, names in os.walk(build):
        for name in sorted(names):
            if not name.endswith(".gcda"):
                continue
            gcda = os.path.abspath(os.path.join(root, name))
            out = subprocess.run(["gcov", "--stdout", "-o", os.path.dirname(gcda), gcda],
                                 capture_output=True, text=True, errors="replace", check=False)
            src, lines = None, []
            for line in out.stdout.splitlines():
                if "0:Source:" in line:
                    if src:
                        yield src, lines
                    src, lines = os.path.normpath(line.split("0:Source:", 1)[1].strip()), []
                else:
                    lines.append(line)
            if src:
                yield src, lines


def main(argv):
    if len(argv) not in (2, 3) or argv[1].startswith("-") or argv[2:] not in ([], ["--lines"]):
        sys.exit("usage: scripts/coverage.py BUILD [--lines]")
    build, show_lines = argv[1], argv[2:] == ["--lines"]
    if not os.path.isdir(build):
        sys.exit(f"coverage: no build tree at '{build}'")
    build = os.path.abspath(build)
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    code, run, text = {}, {}, {}
    for src, lines in gcov_reports(build):
        if os.path.isabs(src):
            src = os.path.relpath(src)
        if not src.startswith(OURS):
            continue
        code.setdefault(src, set())
        run.setdefault(src, set())
        for line in lines:
            m = LINE.match(line)
            if not m or int(m.group(2)) == 0 or m.group(1).strip() == "-":
                continue
            n = int(m.group(2))
            code[src].add(n)
            text[(src, n)] = m.group(3)
            if m.group(1).strip() not in ("#####", "====="):
                run[src].add(n)
    if not code:
        sys.exit(f"coverage: no counts under '{build}' (build with --coverage, then run the tests)")
    total_code = total_run = 0
    for src in sorted(s for s in code if code[s]):
        c, r = len(code[src]), len(run[src])
        total_code, total_run = total_code + c, total_run + r
        print(f"{src:32} {r:5} of {c:5} lines  {100.0 * r / c:6.2f}%")
        if show_lines:
            for n in sorted(code[src] - run[src]):
                print(f"    {n:5}: {text[(src, n)].strip()}")
    print(f"{'total':32} {total_run:5} of {total_code:5} lines  {100.0 * total_run / total_code:6.2f}%")


if __name__ == "__main__":
    main(sys.argv)
