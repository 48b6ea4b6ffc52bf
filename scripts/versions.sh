# Pinned versions of the local control plane. Sourced by the cluster scripts; bump here only.
K8S_VERSION=v1.36.3     # kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
ETCD_VERSION=v3.6.8     # the etcd that k8s v1.36.3's go.mod pins
KWOK_VERSION=v0.8.0     # kwok + kwokctl; built against k8s 0.36 libraries with Go 1.26
KREW_VERSION=v0.5.0     # krew + validate-krew-manifest (distribution proof)
# The real multus-daemon releases the local cluster runs behind its pods (scripts/build-multus), oldest first:
# v4.1.4 (client-go 0.29, cache-only pod lookup), the newest v4.2.x the module proxy serves (v4.2.5 is not),
# v4.3.0 (client-go 0.35). Which of them serves which release: daemonVersionFor in scripts/multus-pod.ts.
MULTUS_MODULE=gopkg.in/k8snetworkplumbingwg/multus-cni.v4
MULTUS_VERSIONS="v4.1.4 v4.2.4 v4.3.0"

# Everything built lands outside the repo, keyed by version, so a warm machine skips the build.
MULTUS_CACHE=${KUBECTL_MULTUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-multus}
TOOLS_BIN=$MULTUS_CACHE/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION
# multus_daemon_bin VERSION: where scripts/build-multus puts that release's multus-daemon.
multus_daemon_bin() { echo "$MULTUS_CACHE/bin/multus-$1/multus-daemon"; }
