#!/usr/bin/env bash
# Installs a real operator into the real node (tools/kube-node.sh) as its documentation says: the
# release manifest applied with kubectl, read from the operator's own Go module at the version
# tools/kube/operators/go.mod pins. Changed only where a machine without a registry needs it: the
# images are the local ones (tools/kube/images/build.sh), pulled never, and the operator's CPU
# limit is dropped (two busy cores would throttle it into missed probes). Waits until the operator
# answers its webhooks.
#   tools/kube/operators/install.sh cnpg [--dir RUN]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
operator=${1:?usage: install.sh cnpg [--dir RUN]}
shift
node=("$root/tools/kube-node.sh")
run_in() { "${node[0]}" run "$@"; }
dir_args=()
[ "${1:-}" = --dir ] && dir_args=(--dir "$2")

export GOTOOLCHAIN=local GOFLAGS=-mod=mod
module_dir() { (cd "$here" && go mod download -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'); }
version_of() { awk -v m="$1" '$1 == m { print $2; exit }' "$here/go.mod"; }

images=$("$root/tools/kube/images/build.sh" postgresql cnpg)
case $operator in
  cnpg)
    version=$(version_of github.com/cloudnative-pg/cloudnative-pg)
    manifest="$(module_dir github.com/cloudnative-pg/cloudnative-pg)/releases/cnpg-${version#v}.yaml"
    "${node[0]}" import "${dir_args[@]}" "$images"/postgresql-*.tar "$images"/cnpg-*.tar
    patched=$(mktemp /tmp/hasteward-cnpg-XXXXXX.yaml)
    trap 'rm -f "$patched"' EXIT
    python3 "$here/local_manifest.py" "$manifest" "$patched" \
      "ghcr.io/cloudnative-pg/cloudnative-pg:${version#v}=localhost/cloudnative-pg:${version#v}"
    "${node[0]}" run "${dir_args[@]}" -- kubectl apply --server-side -f "$patched" >/dev/null
    "${node[0]}" run "${dir_args[@]}" -- kubectl -n cnpg-system rollout status \
      deployment/cnpg-controller-manager --timeout=300s >&2
    ;;
  *)
    echo "install.sh: no operator '$operator'" >&2
    exit 2
    ;;
esac
