#!/usr/bin/env python3
"""Prints the tidy.sh record key of source files (see tools/tidy.sh): one line `PATH KEY` per file,
PATH relative to the checkout. A file without an entry in the compile database gets no line
(clang-tidy then reports why).

Usage: tidy_key.py COMPILE_COMMANDS_JSON FILE...

A key hashes all that decides clang-tidy's verdict on a file, and nothing that differs between two
clones of the same commit, so that keys recorded by a full check in one checkout (the committed
tools/tidy-clean.txt) hold in a clean clone anywhere else:
- what every file shares: the clang-tidy version, .clang-tidy, and the installed versions of the
  packages whose headers the sources include (a system header changes only with its package);
- the file's compile command, with the checkout's and the build directory's paths replaced by
  placeholders and without the output and -Werror (which does not change clang-tidy's findings);
- the content of the file and of every project header it reaches through `#include "..."`,
  followed recursively whatever #if surrounds them (a superset: a header change re-checks every
  file that includes it, directly or not).
"""
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys

# The -dev packages whose headers src/ includes, and the compiler's own (their versions stand for
# the content of every system header).
HEADER_PACKAGES = [
    "clang-tidy-14", "libclang-common-14-dev", "libstdc++-12-dev", "libc6-dev", "linux-libc-dev",
    "nlohmann-json3-dev", "libcli11-dev", "libyaml-cpp-dev", "libssl-dev", "libzstd-dev",
    "zlib1g-dev", "libcurl4-openssl-dev", "libpq-dev", "libmariadb-dev", "libfuse3-dev",
]
INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.MULTILINE)


def common_key(root):
    """What every file's key shares."""
    digest = hashlib.sha256()
    version = subprocess.run(["clang-tidy-14", "--version"], capture_output=True, check=False)
    digest.update(version.stdout)
    with open(os.path.join(root, ".clang-tidy"), "rb") as config:
        digest.update(config.read())
    # Absent packages print an error line to stderr and nothing to stdout: part of the key too.
    versions = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\n",
                               *HEADER_PACKAGES], capture_output=True, check=False)
    digest.update(versions.stdout)
    return digest.hexdigest()


def normalized_args(entry, root, build_dir):
    """The compile command as placeholders make it the same in every clone."""
    args = entry.get("arguments") or shlex.split(entry["command"])
    target = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == "-o":
            skip = True
        elif arg in ("-c", "-Werror") or os.path.realpath(
                os.path.join(entry["directory"], arg)) == target:
            continue
        else:
            out.append(arg.replace(build_dir, "@BUILD@").replace(root, "@SRC@"))
    return out


def include_dirs(args):
    """The -I directories of a normalized command (quoted includes resolve there)."""
    dirs = []
    for i, arg in enumerate(args):
        if arg == "-I" and i + 1 < len(args):
            dirs.append(args[i + 1])
        elif arg.startswith("-I"):
            dirs.append(arg[2:])
    return dirs


class Reader:
    """Reads and hashes files once, and resolves quoted includes."""

    def __init__(self, root, build_dir):
        self.root, self.build_dir = root, build_dir
        self.content = {}

    def read(self, path):
        if path not in self.content:
            with open(path, "rb") as source:
                self.content[path] = source.read()
        return self.content[path]

    def resolve(self, name, including_dir, dirs):
        for base in [including_dir, *dirs]:
            base = base.replace("@SRC@", self.root).replace("@BUILD@", self.build_dir)
            path = os.path.normpath(os.path.join(base, name))
            if os.path.isfile(path):
                return path
        return None

    def closure(self, path, dirs):
        """The file and every project file its quoted includes reach, in a stable order."""
        seen, order, todo = set(), [], [path]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            order.append(current)
            for name in INCLUDE.findall(self.read(current)):
                found = self.resolve(name.decode(), os.path.dirname(current), dirs)
                if found is not None:
                    todo.append(found)
        return sorted(order)


def main():
    database = sys.argv[1]
    root = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
    build_dir = os.path.realpath(os.path.dirname(database))
    with open(database, encoding="utf-8") as db:
        entries = {os.path.realpath(os.path.join(e["directory"], e["file"])): e for e in json.load(db)}
    common = common_key(root)
    reader = Reader(root, build_dir)
    for name in sys.argv[2:]:
        path = os.path.realpath(name)
        entry = entries.get(path)
        if entry is None:
            continue
        args = normalized_args(entry, root, build_dir)
        digest = hashlib.sha256()
        digest.update(common.encode() + b"\0" + "\0".join(args).encode() + b"\0")
        for part in reader.closure(path, include_dirs(args)):
            digest.update(os.path.relpath(part, root).encode() + b"\0")
            digest.update(reader.read(part) + b"\0")
        print(os.path.relpath(path, root), digest.hexdigest())


if __name__ == "__main__":
    main()
