#!/usr/bin/env python3
"""Which database pages changed on disk between two moments, for the incremental-backup benches.

  page_diff.py snapshot DATA_DIR PAGE_SIZE OUT [SKIP]
                                    hashes every page of every file under DATA_DIR but those whose
                                    path (relative to DATA_DIR) matches the regular expression SKIP
  page_diff.py diff BEFORE AFTER                   prints "changed total relation other" pages

A page counts as changed when its bytes differ or it is new (a file grew or appeared). Files that
are a log rather than pages are skipped: pg_wal/ and InnoDB's ib_logfile* (both tools must copy
the log written during the backup anyway, whatever changed), and what SKIP names (MariaDB's
binary logs, which no physical backup tool here copies, and its temporary tablespace). "relation" pages are those
of table and index files (PostgreSQL base/ and global/ relation files, InnoDB .ibd files); "other"
the rest (pg_xact, InnoDB's system and undo tablespaces, ...). Run it on a quiet server after a
checkpoint, outside any timed run: it reads the whole data directory.
"""
import hashlib
import os
import pickle
import re
import sys

SKIP_DIRS = {"pg_wal"}
SKIP_FILES = re.compile(r"^ib_logfile\d+$")
RELATION = re.compile(r"(^(base|global)/.*/?\d+(_fsm|_vm|_init)?(\.\d+)?$)|(\.ibd$)")


def snapshot(data_dir, page_size, skip):
    pages = {}
    for root, dirs, files in os.walk(data_dir):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files:
            if SKIP_FILES.match(name):
                continue
            path = os.path.join(root, name)
            if skip and skip.search(os.path.relpath(path, data_dir)):
                continue
            digests = []
            try:
                with open(path, "rb") as f:
                    while block := f.read(page_size):
                        digests.append(hashlib.blake2b(block, digest_size=8).digest())
            except OSError:
                continue  # a temporary file that went away
            pages[os.path.relpath(path, data_dir)] = digests
    return pages


def diff(before, after):
    relation = other = 0
    for path, digests in after.items():
        old = before.get(path, [])
        changed = sum(1 for i, d in enumerate(digests) if i >= len(old) or old[i] != d)
        if RELATION.search(path):
            relation += changed
        else:
            other += changed
    total_pages = sum(len(d) for d in after.values())
    return relation + other, relation, other, total_pages


def main():
    if len(sys.argv) in (5, 6) and sys.argv[1] == "snapshot":
        skip = re.compile(sys.argv[5]) if len(sys.argv) == 6 and sys.argv[5] else None
        with open(sys.argv[4], "wb") as f:
            pickle.dump(snapshot(sys.argv[2], int(sys.argv[3]), skip), f)
        return
    if len(sys.argv) == 4 and sys.argv[1] == "diff":
        with open(sys.argv[2], "rb") as a, open(sys.argv[3], "rb") as b:
            changed, relation, other, total = diff(pickle.load(a), pickle.load(b))
        print(changed, relation, other, total)
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
