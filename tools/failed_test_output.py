#!/usr/bin/env python3
"""Prints the gtest failure lines and the output tail of each test ctest recorded as failed.

CI shows only the end of a run's log, where ctest lists failed tests by name alone; this repeats,
after that list, what each one printed, so a failure can be diagnosed from the closing lines.
Usage: failed_test_output.py BUILD_DIR [TAIL_LINES]
"""
import pathlib
import re
import sys


def sections(log_text):
    """Yields (test name, output) for each test in ctest's LastTest.log."""
    pattern = re.compile(
        r'^\d+/\d+ Test: (?P<name>.+?)\n.*?^Output:\n-+\n(?P<output>.*?)^<end of output>',
        re.MULTILINE | re.DOTALL)
    for match in pattern.finditer(log_text):
        yield match.group('name'), match.group('output')


def main():
    build_dir = pathlib.Path(sys.argv[1])
    tail_lines = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    temporary = build_dir / 'Testing' / 'Temporary'
    failed_log = temporary / 'LastTestsFailed.log'
    if not failed_log.exists():
        return
    failed = {line.split(':', 1)[1].strip() for line in failed_log.read_text().splitlines()
              if ':' in line}
    log_text = (temporary / 'LastTest.log').read_text(errors='replace')
    for name, output in sections(log_text):
        if name not in failed:
            continue
        lines = output.splitlines()
        failures = [line for line in lines if 'Failure' in line or line.startswith('[  FAILED')]
        print(f'--- {name}: gtest failures')
        print('\n'.join(failures[:20]) or '(none reported: a crash, a timeout or a setup error)')
        print(f'--- {name}: last {tail_lines} lines')
        print('\n'.join(line[:400] for line in lines[-tail_lines:]))


if __name__ == '__main__':
    main()
