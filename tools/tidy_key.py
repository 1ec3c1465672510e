#!/usr/bin/env python3
"""Prints the tidy.sh record key of source files (see tools/tidy.sh): one line `PATH KEY` per file,
PATH relative to the checkout. A file without an entry in the compile database gets no line
(clang-tidy then reports why).

Usage: tidy_key.py COMPILE_COMMANDS_JSON FILE...

A key hashes all that decides clang-tidy's verdict on a file, and nothing that differs between two
clones of the same commit, so that keys recorded by a full check in one checkout (the committed
tools/tidy-clean.txt) hold in a clean clone anywhere else:
- what every file shares: the clang-tidy version (without its "Host CPU" line, which names the
  machine) with the version of clang's own headers, and .clang-tidy;
- the content of every system header the compiler reads for the file (its dependency list, `-M`),
  by path: a machine with other package versions re-checks only the files whose headers differ
  (recording package versions instead made every key differ on a machine one patch release
  apart, so CI re-checked the whole tree);
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

# clang-tidy's own builtin headers (stddef.h, intrinsics), which the compiler's dependency list
# does not show (it names the compiler's own instead): their package version stands for them.
TOOL_PACKAGES = ["clang-tidy-14", "libclang-common-14-dev"]
# Compile arguments that only name outputs or a precompiled header: not for a dependency listing.
DROP_WITH_VALUE = {"-o", "-MT", "-MF", "-MQ", "-include"}
DROP = {"-c", "-MD", "-MMD", "-Winvalid-pch"}
INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.MULTILINE)


def common_key(root):
    """What every file's key shares."""
    digest = hashlib.sha256()
    version = subprocess.run(["clang-tidy-14", "--version"], capture_output=True, check=False)
    digest.update(b"".join(line for line in version.stdout.splitlines(keepends=True)
                           if b"Host CPU" not in line))
    with open(os.path.join(root, ".clang-tidy"), "rb") as config:
        digest.update(config.read())
    # Absent packages print an error line to stderr and nothing to stdout: part of the key too.
    versions = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\n",
                               *TOOL_PACKAGES], capture_output=True, check=False)
    digest.update(versions.stdout)
    return digest.hexdigest()


def system_headers(entry, root, build_dir):
    """The headers outside the checkout and the build directory that the compiler reads for the
    entry (its `-M` dependency list), as absolute paths in a stable order; on a failure, the
    compiler's message instead (clang-tidy then fails too, and the key never matches a clean one)."""
    args = entry.get("arguments") or shlex.split(entry["command"])
    listing, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in DROP_WITH_VALUE:
            skip = True
        elif arg not in DROP and not arg.startswith(("-MF", "-MT", "-o")):
            listing.append(arg)
    run = subprocess.run([*listing, "-M", "-w"], capture_output=True, check=False,
                         cwd=entry["directory"])
    if run.returncode != 0:
        return None, run.stderr
    paths = set()
    for word in run.stdout.decode().replace("\\\n", " ").split()[1:]:
        if word == "\\":
            continue
        path = os.path.realpath(os.path.join(entry["directory"], word))
        if not (path.startswith(root + os.sep) or path.startswith(build_dir + os.sep)):
            paths.add(path)
    return sorted(paths), b""


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
        self.digests = {}

    def read(self, path):
        if path not in self.content:
            with open(path, "rb") as source:
                self.content[path] = source.read()
        return self.content[path]

    def digest(self, path):
        """The SHA-256 of a file's content (b"" when it cannot be read), computed once."""
        if path not in self.digests:
            try:
                self.digests[path] = hashlib.sha256(self.read(path)).digest()
            except OSError:
                self.digests[path] = b""
        return self.digests[path]

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
        headers, failure = system_headers(entry, root, build_dir)
        digest.update(failure + b"\0")
        for header in headers or []:
            digest.update(header.encode() + b"\0" + reader.digest(header) + b"\0")
        print(os.path.relpath(path, root), digest.hexdigest())


if __name__ == "__main__":
    main()
