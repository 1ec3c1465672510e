// The operators whose manifests the real-Kubernetes tests read from their own Go modules (data
// files inside a module the build depends on): CloudNativePG's release manifest (its CRDs) and
// sample Cluster, mariadb-operator's CRDs and example MariaDB. Nothing here is built; go.sum pins
// the modules' content. mariadb-operator v25.10.4: the newest release the module proxy serves
// (v26 is not served).
module hasteward.local/kube/operators

go 1.26

require (
	github.com/cloudnative-pg/cloudnative-pg v1.30.0
	github.com/mariadb-operator/mariadb-operator/v25 v25.10.4
)
