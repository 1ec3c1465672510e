#!/usr/bin/env bash
# Prune with hasteward vs `restic forget --prune` (restic 0.14) on the same repository, in one run.
# Builds a repository of N snapshots (default 300, one a day) of a growing SQL-like dump whose
# tail changes every day, copies it twice, applies HASteward's default policy with both tools
# (--keep-last 7 --keep-daily 30 --keep-weekly 12 --keep-monthly 24, --max-unused 5%) and prints
# wall time and peak RSS of each, the ratios, and whether both kept the same snapshots.
# Usage: bench/prune_compare.sh [SNAPSHOTS]      env HS=path/to/hasteward, KEEP=1 keeps the dir,
#   ROWS=first day's rows (default 200000, a ~20 MB dump), GROW=rows added per day (1500), so
#   the dumps grow to ~65 MB; ROWS=20000 GROW=150 gives the small 2-6 MB variant.
set -euo pipefail
cd "$(dirname "$0")/.."
HS=${HS:-$PWD/build/src/hasteward}
N=${1:-300}
work=$(mktemp -d /var/tmp/hasteward-prune-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
export RESTIC_PASSWORD=bench TZ=UTC
policy=(--keep-last 7 --keep-daily 30 --keep-weekly 12 --keep-monthly 24)
tags=engine=cnpg,cluster=bench,namespace=ns,type=backup

echo "building $N snapshots in $work/base ..." >&2
start=$(date +%s)
"$HS" repo init -r "$work/base" -q > /dev/null
# dump day d: ROWS + GROW*d rows; each day rewrites the 300 newest rows (an "update
# burst") so the tail chunks change and old packs become partly unused. One Python process makes
# the dumps and runs one backup per day.
python3 - "$HS" "$work" "$N" "$tags" "${ROWS:-200000}" "${GROW:-1500}" <<'PY'
import datetime, os, subprocess, sys
hs, work, n, tags = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rows0, grow = int(sys.argv[5]), int(sys.argv[6])
def row(i, version):
    h = (i * 2654435761 + version * 40503) % (1 << 32)
    return "INSERT INTO orders VALUES (%d,'customer-%08x',%d,%d.%02d,'%016x');\n" % (
        i, h, h % 1000003, h % 9973, h % 100, (h * 11400714819323198485) % (1 << 64))
stable = []
path = os.path.join(work, "dump.sql")
for d in range(1, n + 1):
    rows = rows0 + grow * d
    while len(stable) < rows - 300:
        stable.append(row(len(stable), 0))
    with open(path, "w") as f:
        f.write("-- dump day %d\n" % d)
        f.writelines(stable)
        f.writelines(row(i, d) for i in range(len(stable), rows))
    t = datetime.datetime(2023, 1, 1, 3) + datetime.timedelta(days=d - 1)
    with open(path) as f:
        subprocess.run([hs, "backup", "-r", os.path.join(work, "base"), "--stdin",
                        "--stdin-filename", "ns/bench/dump.sql", "--tag", tags, "--host", "pod-0",
                        "--time", t.strftime("%Y-%m-%d %H:%M:%S"), "-q"],
                       stdin=f, stdout=subprocess.DEVNULL, check=True)
os.remove(path)
PY
echo "built in $(( $(date +%s) - start ))s: $(du -sh "$work/base" | cut -f1)" >&2
measure() {  # label, command...: appends "label wall rss_kb" to results
  local label=$1; shift
  /usr/bin/time -f "$label %e %M" -o "$work/t" "$@" > "$work/$label.out" 2> "$work/$label.err"
  cat "$work/t" >> "$work/results"
}
: > "$work/results"
# REPEAT rounds (default 3) on fresh copies, interleaved; the median of each tool is reported.
for _ in $(seq "${REPEAT:-3}"); do
  rm -rf "$work/hs" "$work/restic"
  cp -a "$work/base" "$work/hs"
  cp -a "$work/base" "$work/restic"
  sync
  measure hasteward "$HS" prune -r "$work/hs" "${policy[@]}" --max-unused 5% --json
  measure restic restic -r "$work/restic" --no-cache forget --prune "${policy[@]}" --max-unused 5%
done
ids() { restic -r "$1" --no-cache snapshots --json | python3 -c \
  'import json,sys; print(" ".join(sorted(s["id"] for s in json.load(sys.stdin))))'; }
same=no
[ "$(ids "$work/hs")" = "$(ids "$work/restic")" ] && same=yes
restic -r "$work/hs" --no-cache check -q > /dev/null 2>&1 && hs_check=ok || hs_check=FAILED
python3 - "$work" "$N" "$same" "$hs_check" <<'PY'
import json, os, sys
work, n, same, check = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
runs = {}
for line in open(os.path.join(work, "results")):
    label, wall, rss = line.split()
    runs.setdefault(label, []).append((float(wall), int(rss) / 1024))
def median(xs):
    xs = sorted(xs)
    return xs[(len(xs) - 1) // 2]
res = {k: (median([w for w, _ in v]), median([m for _, m in v])) for k, v in runs.items()}
for k, v in runs.items():
    print("%s runs (wall s, RSS MiB): %s" % (k, ", ".join("%.2f/%.0f" % r for r in v)))
def du(p):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(p) for f in fs) / 2**20
hs = json.load(open(os.path.join(work, "hasteward.out")))
gc = hs["gc"]
print("snapshots: %d -> %d kept (same kept set in both: %s); restic check of hasteward's result: %s"
      % (n, hs["summary"]["keep"], same, check))
print("repository: %.1f MiB before, hasteward %.1f MiB after, restic %.1f MiB after"
      % (du(os.path.join(work, "base")), du(os.path.join(work, "hs")), du(os.path.join(work, "restic"))))
print("hasteward gc: %d packs, %d removed, %d repacked (%d written), %d index blobs"
      % (gc["packs"], gc["remove"], gc["repack"], gc["packs_written"], hs["index_blobs"]))
print("%-10s %9s %12s   (medians)" % ("", "wall s", "peak RSS MiB"))
for k in ("hasteward", "restic"):
    print("%-10s %9.2f %12.1f" % (k, res[k][0], res[k][1]))
h, r = res["hasteward"], res["restic"]
print("ratio: hasteward %.1fx faster, %.2fx the memory of restic"
      % (r[0] / max(h[0], 1e-3), h[1] / r[1]))
PY
