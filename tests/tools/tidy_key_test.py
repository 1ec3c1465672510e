#!/usr/bin/env python3
"""tools/tidy_key.py: a key recorded in one clone holds in another clone of the same tree (CI's
clean clone uses the keys a developer's full check committed in tools/tidy-clean.txt), and changes
whenever anything that decides clang-tidy's verdict changes: the file, a project header it
reaches through other headers, a system header the compiler reads for it, its compile flags,
.clang-tidy."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

TOOLS = os.path.join(os.environ.get("HS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")), "tools")


def make_clone(parent, name, flags="-O2 -Werror"):
    """A tree with src/a.cpp -> src/core/b.h -> src/core/c.h, a build dir and its database."""
    root = os.path.join(parent, name, "project")
    os.makedirs(os.path.join(root, "tools"))
    os.makedirs(os.path.join(root, "src", "core"))
    os.makedirs(os.path.join(root, "build"))
    shutil.copy(os.path.join(TOOLS, "tidy_key.py"), os.path.join(root, "tools"))
    files = {
        ".clang-tidy": "Checks: '-*,bugprone-*'\n",
        "src/a.cpp": '#include "core/b.h"\n#include <vector>\nint main() { return B(); }\n',
        "src/core/b.h": '#pragma once\n#include "c.h"\ninline int B() { return C(); }\n',
        "src/core/c.h": "#pragma once\ninline int C() { return 0; }\n",
    }
    for path, text in files.items():
        with open(os.path.join(root, path), "w", encoding="utf-8") as out:
            out.write(text)
    write_database(root, flags)
    return root


def write_database(root, flags):
    build = os.path.join(root, "build")
    entry = {"directory": build, "file": os.path.join(root, "src", "a.cpp"),
             "command": f"/usr/bin/c++ -I{root}/src {flags} -std=c++20 -o src/a.cpp.o -c "
                        f"{root}/src/a.cpp"}
    with open(os.path.join(build, "compile_commands.json"), "w", encoding="utf-8") as out:
        json.dump([entry], out)


def key(root):
    run = subprocess.run([sys.executable, os.path.join(root, "tools", "tidy_key.py"),
                          os.path.join(root, "build", "compile_commands.json"),
                          os.path.join(root, "src", "a.cpp")],
                         capture_output=True, text=True, check=True, cwd=root)
    path, digest = run.stdout.split()
    assert path == "src/a.cpp", run.stdout
    return digest


class TidyKeyTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hs-tidy-key-")
        self.one = make_clone(self.tmp, "one")
        self.other = make_clone(self.tmp, "somewhere-else")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def edit(self, path, text):
        with open(os.path.join(self.other, path), "a", encoding="utf-8") as out:
            out.write(text)

    def test_two_clones_of_one_tree_have_the_same_key(self):
        self.assertEqual(key(self.one), key(self.other))

    def test_werror_does_not_change_the_key(self):
        write_database(self.other, "-O2")
        self.assertEqual(key(self.one), key(self.other))

    def test_a_header_reached_through_another_changes_the_key(self):
        self.edit("src/core/c.h", "inline int D() { return 1; }\n")
        self.assertNotEqual(key(self.one), key(self.other))

    def test_the_file_itself_changes_the_key(self):
        self.edit("src/a.cpp", "// a comment: suppressions live in comments\n")
        self.assertNotEqual(key(self.one), key(self.other))

    def test_compile_flags_change_the_key(self):
        write_database(self.other, "-O2 -Werror -DEXTRA")
        self.assertNotEqual(key(self.one), key(self.other))

    def test_a_system_header_it_reads_changes_the_key_and_one_it_does_not_read_does_not(self):
        system = os.path.join(self.tmp, "system")
        os.makedirs(system)
        for name in ("used.h", "unused.h"):
            with open(os.path.join(system, name), "w", encoding="utf-8") as out:
                out.write("#pragma once\n")
        self.edit("src/a.cpp", "#include <used.h>\n")
        write_database(self.other, f"-O2 -isystem {system}")
        before = key(self.other)
        with open(os.path.join(system, "unused.h"), "a", encoding="utf-8") as out:
            out.write("inline int Unused() { return 0; }\n")
        self.assertEqual(key(self.other), before)
        with open(os.path.join(system, "used.h"), "a", encoding="utf-8") as out:
            out.write("inline int Used() { return 0; }\n")
        self.assertNotEqual(key(self.other), before)

    def test_clang_tidy_configuration_changes_the_key(self):
        self.edit(".clang-tidy", "WarningsAsErrors: '*'\n")
        self.assertNotEqual(key(self.one), key(self.other))


if __name__ == "__main__":
    unittest.main()
