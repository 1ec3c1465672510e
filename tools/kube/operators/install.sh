#!/usr/bin/env bash
# Installs a real operator into the real node (tools/kube-node.sh) as its documentation says: the
# release manifest applied with kubectl, read from the operator's own Go module at the version
# tools/kube/operators/go.mod pins. Changed only where a machine without a registry needs it: the
# images are the local ones (tools/kube/images/build.sh), pulled never, and the operator's CPU
# limit is dropped (two busy cores would throttle it into missed probes). Waits until the operator
# answers its webhooks.
#   tools/kube/operators/install.sh cnpg|mariadb-operator [--dir RUN]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
operator=${1:?usage: install.sh cnpg|mariadb-operator [--dir RUN]}
shift
node=("$root/tools/kube-node.sh")
dir_args=()
[ "${1:-}" = --dir ] && dir_args=(--dir "$2")

export GOTOOLCHAIN=local GOFLAGS=-mod=mod
. "$here/../go-path.sh"
module_dir() { (cd "$here" && go mod download -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'); }
version_of() { awk -v m="$1" '$1 == m { print $2; exit }' "$here/go.mod"; }

case $operator in
  cnpg)
    images=$("$root/tools/kube/images/build.sh" postgresql cnpg)
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
  mariadb-operator)
    # Its installation is a Helm chart in its module (deploy/charts/mariadb-operator, with the
    # CRDs as a sub-chart beside it), rendered by helm as its docs install it, with the images
    # named local and without the webhook and its certificate controller (the controller's own
    # --webhook is off by default: the cost is the skipped admission validation).
    version=$(version_of github.com/mariadb-operator/mariadb-operator/v25)
    module="$(module_dir github.com/mariadb-operator/mariadb-operator/v25)"
    images=$("$root/tools/kube/images/build.sh" mariadb mariadb_operator)
    read -r _ _ helm_dir < <("$root/tools/kube/build.sh" --operators)
    mariadb_image=$(tar -xOf "$(ls "$images"/mariadb-[0-9a-f]*.tar)" index.json | python3 -c \
      'import json,sys; print(json.load(sys.stdin)["manifests"][0]["annotations"]["io.containerd.image.name"])')
    "${node[0]}" import "${dir_args[@]}" "$images"/mariadb-[0-9a-f]*.tar "$images"/mariadb_operator-*.tar
    chart=$(mktemp -d /tmp/hasteward-mariadb-chart-XXXXXX)
    trap 'rm -rf "$chart"' EXIT
    cp -r "$module/deploy/charts/mariadb-operator" "$chart/"
    chmod -R u+w "$chart"
    mkdir -p "$chart/mariadb-operator/charts"
    cp -r "$module/deploy/charts/mariadb-operator-crds" "$chart/mariadb-operator/charts/"
    chmod -R u+w "$chart"
    "$helm_dir/helm" template mariadb-operator "$chart/mariadb-operator" -n mariadb-operator \
      --kube-version "$("${node[0]}" run "${dir_args[@]}" -- kubectl version -o json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')" \
      --set crds.enabled=true --set image.repository=localhost/mariadb-operator \
      --set image.tag="${version#v}" --set webhook.enabled=false \
      --set certController.enabled=false --set config.mariadbImage="$mariadb_image" \
      --set config.mariadbImageName=localhost/mariadb --set config.mariadbDefaultVersion=10.11 \
      >"$chart/manifest.yaml"
    "${node[0]}" run "${dir_args[@]}" -- kubectl create namespace mariadb-operator \
      --dry-run=client -o yaml | "${node[0]}" run "${dir_args[@]}" -- kubectl apply -f - >/dev/null
    "${node[0]}" run "${dir_args[@]}" -- kubectl apply --server-side -n mariadb-operator \
      -f "$chart/manifest.yaml" >/dev/null
    "${node[0]}" run "${dir_args[@]}" -- kubectl -n mariadb-operator rollout status \
      deployment/mariadb-operator --timeout=300s >&2
    ;;
  *)
    echo "install.sh: no operator '$operator'" >&2
    exit 2
    ;;
esac
