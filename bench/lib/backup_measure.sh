# Sourced by the incremental-backup benches (bench/block_incremental_pg.sh,
# bench/block_incremental_mariadb.sh): one backup run measured for time, CPU, peak RSS, bytes read
# and bytes stored, each run a line of $W/results.tsv. The caller defines W and, optionally,
# SERVER_PID (a daemon whose forked children read files for the tool: PostgreSQL's postmaster,
# whose walsender serves BASE_BACKUP).
BENCH_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

bench_bytes() { du -sb "$1" | cut -f1; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# The sum of the "rchar read_bytes" lines proc_io.py appended to FILE (0 0 when none).
io_sum() { if [ -s "$1" ]; then awk '{ r += $1; b += $2 } END { print r, b }' "$1"; else echo "0 0"; fi; }

# The server's children now (a process is one thread here: the postmaster is).
server_children() {
  if [ -n "${SERVER_PID:-}" ]; then tr ' ' '\n' <"/proc/$SERVER_PID/task/$SERVER_PID/children" | sort; fi
}

# measure LABEL REPO READ CMD...: runs CMD (its output in $W/out) and appends to $W/results.tsv:
#   label seconds cpu_s rss_kib data_read tool_rchar server_rchar reader_rchar stored_du
# READ says which processes' reads are data_read, the bytes read from the data directory:
#   tool+server  CMD's process tree (pgBackRest and any tool that opens the files itself) and
#                SERVER_PID's children that exited meanwhile (BASE_BACKUP's walsender). Bytes a
#                tool receives from a socket are not in rchar (recv is not read), so hasteward's
#                BASE_BACKUP stream is counted once, by the walsender that read the files.
#   reader       the processes started through a proc_io.py wrapper writing $W/reader-io
#                (mariadb-backup: hasteward's own rchar would add the stream it reads from
#                mariadb-backup's pipe, and zstd's the stream it compresses)
# Reads of the tool's repository (manifests, indexes) count too: an upper bound.
# The server's children are counted once the server reaped them (proc_io.py explains why).
measure() {
  local label=$1 repo=$2 read=$3
  shift 3
  local before after server_before=0 server_after=0 children_before
  rm -f "$W/reader-io" "$W/tool-io"
  children_before=$(server_children)
  if [ -n "${SERVER_PID:-}" ]; then
    read -r server_before _ < <(python3 "$BENCH_LIB/proc_io.py" get "$SERVER_PID")
  fi
  before=$(bench_bytes "$repo")
  /usr/bin/time -f "%e %U %S %M" -o "$W/time" python3 "$BENCH_LIB/proc_io.py" run "$W/tool-io" -- "$@" \
    >"$W/out" 2>"$W/err" || { echo "$label failed:"; cat "$W/err"; exit 1; }
  after=$(bench_bytes "$repo")
  if [ -n "${SERVER_PID:-}" ]; then
    for _ in $(seq 200); do
      [ -z "$(comm -13 <(echo "$children_before") <(server_children))" ] && break
      sleep 0.05
    done
    read -r server_after _ < <(python3 "$BENCH_LIB/proc_io.py" get "$SERVER_PID")
  fi
  local secs user sys rss tool reader server=$((server_after - server_before)) data
  read -r secs user sys rss <"$W/time"
  read -r tool _ < <(io_sum "$W/tool-io")
  read -r reader _ < <(io_sum "$W/reader-io")
  case $read in
    tool+server) data=$((tool + server)) ;;
    reader) data=$reader ;;
  esac
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$secs" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$rss" "$data" "$tool" "$server" \
    "$reader" "$((after - before))" >>"$W/results.tsv"
  printf '%-50s %7.1f s %6.1f CPU-s %5d MiB RSS %9s MiB read %9s MiB stored\n' "$label" "$secs" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$((rss / 1024))" "$(mib "$data")" \
    "$(mib $((after - before)))"
}

# report CHANGED_BYTES REFERENCE_LABEL: the second backups of $W/results.tsv (labels containing
# "second") as a table with the goals' ratios: bytes read / (3 x the changed pages' bytes) and
# stored / (0.5 x the stored bytes of the run labelled REFERENCE_LABEL). A ratio <= 1 meets its
# goal. Tool-reported stored bytes come from $W/tool-stored.tsv (label, bytes) when present.
report() {
  local changed=$1 reference=$2
  echo
  echo "changed pages: $(mib "$changed") MiB; reference for stored: $reference"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "second backup" "read MiB" \
    "read / (3 x changed)" "stored MiB (du)" "stored MiB (tool)" "stored / (0.5 x ref)" "s" "CPU s" \
    "RSS MiB"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  awk -F'\t' -v changed="$changed" -v ref="$reference" -v stored_file="$W/tool-stored.tsv" '
    BEGIN { while ((getline line < stored_file) > 0) { split(line, f, "\t"); own[f[1]] = f[2] } }
    { label[NR] = $1; secs[NR] = $2; cpu[NR] = $3; rss[NR] = $4; data[NR] = $5; stored[NR] = $9
      if ($1 == ref) refstored = $9 }
    END {
      for (i = 1; i <= NR; i++) {
        if (label[i] !~ /second/) continue
        tool = (label[i] in own) ? sprintf("%.1f", own[label[i]] / 1048576) : "-"
        printf "| %s | %.1f | %.2f | %.1f | %s | %s | %.1f | %.1f | %d |\n", label[i],
          data[i] / 1048576, data[i] / (3 * changed), stored[i] / 1048576, tool,
          (refstored > 0 ? sprintf("%.2f", stored[i] / (0.5 * refstored)) : "-"),
          secs[i], cpu[i], rss[i] / 1024
      }
    }' "$W/results.tsv"
}
