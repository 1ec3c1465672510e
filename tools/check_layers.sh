#!/usr/bin/env bash
# Enforces the layer table of CODING_STYLE.md: a layer includes only itself and the layers below
# it, and only core/clock* reads the system clock directly. Exits 1 listing every violation.
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A allowed=(
  [core]="core"
  [storage]="storage core"
  [platform]="platform core"
  [repo]="repo storage core"
  [engine]="engine platform core"
  [jobs]="jobs repo engine storage platform core"
  [verify]="verify jobs repo engine storage platform core"
  [pitr]="pitr jobs repo engine storage platform core"
  [dr]="dr jobs repo engine storage platform core"
  [operator]="operator verify pitr dr jobs repo engine storage platform core"
  [cli]="cli operator verify pitr dr jobs repo engine storage platform core"
)
status=0
for layer in "${!allowed[@]}"; do
  [ -d "src/$layer" ] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")
    if [[ " ${allowed[$layer]} " != *" $inc "* ]]; then
      echo "layer violation: $file includes '$inc' (layer '$layer' may include: ${allowed[$layer]})"
      status=1
    fi
  done < <(grep -rnE '^#include "[a-z_]+/' "src/$layer" || true)
done
if grep -rn 'system_clock::now' src --include='*.cpp' --include='*.h' | grep -v '^src/core/clock' \
    | grep -v '^src/core/log.cpp'; then
  echo "direct system_clock::now outside core/clock (inject core::Clock instead)"
  status=1
fi
[ $status -eq 0 ] && echo "layers: ok"
exit $status
