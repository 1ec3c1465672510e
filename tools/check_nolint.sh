#!/usr/bin/env bash
# Every clang-tidy suppression names its check and says why: `NOLINT(check-name): reason`
# (also NOLINTNEXTLINE/NOLINTBEGIN; NOLINTEND closes a BEGIN and needs only the check).
# A bare NOLINT hides every finding on the line, including ones nobody looked at.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(git grep -nE 'NOLINT' -- 'src/*' 'tests/*' 'bench/*' |
  grep -vE 'NOLINT(NEXTLINE|BEGIN)?\([a-z0-9.*,-]+\): [^ ]' |
  grep -vE 'NOLINTEND\([a-z0-9.*,-]+\)' || true)
if [ -n "$bad" ]; then
  echo "$bad"
  echo "nolint: suppressions without 'NOLINT(check): reason' (above)" >&2
  exit 1
fi
echo "nolint: ok"
