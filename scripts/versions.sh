# Pinned versions of the local control plane. Sourced by the cluster scripts; bump here only.
K8S_VERSION=v1.36.3     # kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
ETCD_VERSION=v3.6.8     # the etcd that k8s v1.36.3's go.mod pins
KWOK_VERSION=v0.8.0     # kwok + kwokctl; built against k8s 0.36 libraries with Go 1.26
KREW_VERSION=v0.5.0     # krew + validate-krew-manifest (distribution proof)

# Everything built lands outside the repo, keyed by version, so a warm machine skips the build.
MULTUS_CACHE=${KUBECTL_MULTUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-multus}
TOOLS_BIN=$MULTUS_CACHE/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION
