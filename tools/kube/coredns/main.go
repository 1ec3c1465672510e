// CoreDNS for HASteward's real node (tools/kube-node.sh) with only the plugins the cluster's DNS
// needs: the Service and Pod names of the cluster (kubernetes), a cache, health and readiness for
// its probes, errors, an optional log, and bind (the one address it listens on). No forward plugin is linked: no query can leave the
// node's network namespace. Built by tools/kube/build.sh --node; upstream's main is the same two
// calls with every plugin linked (coredns/coredns coredns.go, core/plugin/zplugin.go).
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

// The order in which the plugins handle a query: upstream's plugin.cfg order, restricted to the
// linked ones.
func init() {
	dnsserver.Directives = []string{"bind", "ready", "health", "errors", "log", "cache", "kubernetes"}
}

func main() {
	coremain.Run()
}
