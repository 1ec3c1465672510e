#!/usr/bin/env python3
"""Prints the tidy.sh record key of one source file (see tools/tidy.sh), or nothing when the file
has no entry in the compile database or does not preprocess (clang-tidy then reports why).

Usage: tidy_key.py COMPILE_COMMANDS_JSON COMMON_KEY FILE
"""
import hashlib
import json
import os
import shlex
import subprocess
import sys


def compile_args(database, name):
    """The file's compile command from the database as (directory, argv), or None."""
    target = os.path.realpath(name)
    with open(database, encoding="utf-8") as db:
        for entry in json.load(db):
            path = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
            if path == target:
                return entry["directory"], entry.get("arguments") or shlex.split(entry["command"])
    return None


def main():
    database, common, name = sys.argv[1:4]
    found = compile_args(database, name)
    if found is None:
        return
    directory, args = found
    target = os.path.realpath(name)
    # The compile command as clang sees it, minus the output: -E -C (comments kept: NOLINTs
    # decide findings) instead of -c -o X.
    flags, skip = [], False
    for arg in args[1:]:
        if skip:
            skip = False
        elif arg == "-o":
            skip = True
        elif arg != "-c" and os.path.realpath(os.path.join(directory, arg)) != target:
            flags.append(arg)
    run = subprocess.run(["clang++-14", *flags, "-Wno-unknown-warning-option", "-E", "-C", target],
                         cwd=directory, capture_output=True, check=False)
    if run.returncode != 0:
        return
    digest = hashlib.sha256()
    for part in (common.encode(), "\0".join(args).encode(), run.stdout):
        digest.update(part)
        digest.update(b"\0")
    print(digest.hexdigest())


if __name__ == "__main__":
    main()
