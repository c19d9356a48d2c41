#!/usr/bin/env python3
"""Prints the ninja targets the tests of the given meson suites need (their executables and
declared dependencies), so that a sanitizer stage builds those instead of the whole tree.
Usage: suite_targets.py BUILD_DIR SUITE...  (suites as in meson.build: tiers, kvcache, ...)"""
import json
import os
import subprocess
import sys


def main():
    build, suites = sys.argv[1], set(sys.argv[2:])
    info = json.loads(subprocess.run(
        ['meson', 'introspect', build, '--tests', '--targets'],
        check=True, capture_output=True, text=True).stdout)
    files = {t['id']: t['filename'] for t in info['targets']}
    wanted = set()
    for test in info['tests']:
        if not suites & {s.split(':')[-1] for s in test['suite']}:
            continue
        for target in test['depends']:
            wanted.update(files.get(target, []))
        wanted.add(test['cmd'][0])
    root = os.path.realpath(build)
    for path in sorted(wanted):
        path = os.path.realpath(path)
        if path.startswith(root + os.sep):  # python3 and scripts are not built
            print(os.path.relpath(path, root))


if __name__ == '__main__':
    main()
