#!/usr/bin/env bash
# Build the Kubernetes binaries the conformance harness runs against:
#   kube-apiserver kube-controller-manager kube-scheduler kubeadm kubelet  (k8s.io/kubernetes, conformance/go.mod)
#   etcd                                                            (go.etcd.io/etcd/server/v3, conformance/etcd/go.mod)
# and what the node of node.py needs besides the kubelet:
#   containerd ctr containerd-shim-runc-v2                          (containerd v2, conformance/containerd/go.mod; tag no_btrfs)
#   cni/bridge cni/host-local cni/loopback cni/portmap              (CNI plugins, conformance/cni/go.mod)
#   pause                                                           (conformance/pause: the sandbox image's program)
# into $KUBEFORGE_CACHE/kube/<k8s-version>/bin/ (default cache: <repo>/.cache, git-ignored).
# Every version is pinned by its go.mod and every module is checked against its go.sum (and the
# checksum database) by the go command. All static: CGO_ENABLED=0.
#
# Go is used here ONLY to build these upstream binaries and the harness's pause program; there is
# no product code in Go.
#
# A binary is rebuilt only when it is missing or out of date. Up to date = its stamp (the build
# flags, tags and Go version) matches, and either the module's go.mod + go.sum are the ones it was
# last checked against, or every module the binary was linked from (its embedded build info, `go
# version -m`) still has the version the module's go.mod selects. So adding a binary to a module
# (which adds modules to go.mod) relinks nothing that was there before. Content, not mtimes: a
# fresh git clone (CI) gives go.mod a new mtime, which would force pointless relinks of a shared cache.
#
# Env:
#   KUBEFORGE_CACHE   cache root (default <repo>/.cache). Point it outside the clone (e.g.
#                     /var/cache/kubeforge) to share binaries between clones on one machine.
#   BUILD_NICE        nice level for the go toolchain (default 15: keep parallel builds moving)
#   GOFLAGS/GOCACHE/GOMODCACHE are honoured as usual.
#
# Prints the bin directory on the last line of stdout; everything else goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
export PATH="/usr/local/go/bin:$PATH"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:--buildvcs=false}"
nice_level="${BUILD_NICE:-15}"

log() { printf '[build.sh %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
now() { date +%s; }

command -v go >/dev/null || { log "go not found (expected /usr/local/go/bin/go)"; exit 1; }

# --- versions, read from the pinned go.mod files (single source of truth) -----------------
req() { awk -v m="$2" '$1=="require" && $2==m {print $3}' "$1/go.mod"; }
k8s_version="$(req "$here" k8s.io/kubernetes)"
etcd_version="$(req "$here/etcd" go.etcd.io/etcd/server/v3)"
containerd_version="$(req "$here/containerd" github.com/containerd/containerd/v2)"
cni_version="$(req "$here/cni" github.com/containernetworking/plugins)"
[[ "$k8s_version" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || { log "cannot read k8s.io/kubernetes version from go.mod"; exit 1; }
k8s_minor="${BASH_REMATCH[1]}"
[[ -n "$etcd_version" ]] || { log "cannot read etcd version from etcd/go.mod"; exit 1; }
[[ -n "$containerd_version" ]] || { log "cannot read containerd version from containerd/go.mod"; exit 1; }
[[ -n "$cni_version" ]] || { log "cannot read CNI plugins version from cni/go.mod"; exit 1; }

cache_root="${KUBEFORGE_CACHE:-$repo/.cache}"
bin="$cache_root/kube/$k8s_version/bin"
mkdir -p "$bin"
# one build at a time per cache: a second caller (`make kube-bin` while .ci/run's early background build
# runs) waits, then finds everything up to date
exec 9>"$cache_root/kube/.build.lock"
if ! flock -n 9; then
  log "waiting for the build already running in this cache"
  flock 9
fi

# The tag's commit and time from the module proxy's .info (the commit only when it carries an Origin).
mod_info() { # module dir, module@version -> "commit time"
  local info commit file time=""
  info="$(cd "$1" && go mod download -json "$2" 2>/dev/null || true)"
  commit="$(sed -n 's/.*"Hash": "\([0-9a-f]\{40\}\)".*/\1/p' <<<"$info" | head -1)"
  file="$(sed -n 's/.*"Info": "\(.*\)".*/\1/p' <<<"$info" | head -1)"
  [[ -n "$file" && -f "$file" ]] && time="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$file")"
  echo "${commit:--} ${time:-1970-01-01T00:00:00Z}"
}

# Version stamping exactly like hack/lib/version.sh, so `kubeadm version` / apiserver /version
# report the real release (kubeadm compares its own version with kubernetesVersion).
# buildDate is the tag time from .info, so the binaries are reproducible.
read -r k8s_commit build_date <<<"$(mod_info "$here" "k8s.io/kubernetes@$k8s_version")"
[[ "$k8s_commit" == "-" ]] && k8s_commit=""
ldx=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldx+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
  ldx+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  [[ -n "$k8s_commit" ]] && ldx+=" -X $pkg.gitCommit=$k8s_commit"
done
k8s_ldflags="-s -w$ldx"
etcd_ldflags="-s -w"
# containerd's Makefile: -X version.Version/Revision/Package
read -r ctd_commit _ <<<"$(mod_info "$here/containerd" "github.com/containerd/containerd/v2@$containerd_version")"
ctd_pkg=github.com/containerd/containerd/v2
containerd_ldflags="-s -w -X $ctd_pkg/version.Version=$containerd_version -X $ctd_pkg/version.Package=$ctd_pkg"
[[ "$ctd_commit" != "-" ]] && containerd_ldflags+=" -X $ctd_pkg/version.Revision=$ctd_commit"
containerd_tags="no_btrfs"
# the CNI plugins' release builds: -X buildversion.BuildVersion
cni_ldflags="-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$cni_version"
pause_ldflags="-s -w"

# --- up to date? --------------------------------------------------------------------------
# stamp file: "<flags hash> <go.mod+go.sum hash>". An older stamp (one hash over go.mod, go.sum,
# ldflags and Go version) is accepted when the build info matches, and rewritten.
flags_hash() { { echo "$1"; echo "tags=$2"; go version; } | sha256sum | cut -c1-64; }
mod_hash() { { cat "$1/go.mod"; if [[ -f "$1/go.sum" ]]; then cat "$1/go.sum"; fi; } | sha256sum | cut -c1-64; }
legacy_hash() { { cat "$1/go.mod" "$1/go.sum"; echo "$2"; go version; } | sha256sum | cut -c1-64; }
stamp_file() { echo "$bin/$(dirname "$1")/.$(basename "$1").stamp"; }
declare -A graph_cache=()
graph() { # module dir -> "path version[ => path version]" lines of the module graph, sorted
  if [[ -z "${graph_cache[$1]:-}" ]]; then
    graph_cache[$1]="$(cd "$1" && go list -m -f '{{.Path}} {{.Version}}{{with .Replace}} => {{.Path}} {{.Version}}{{end}}' all | sort -u)"
  fi
  printf '%s\n' "${graph_cache[$1]}"
}
linked_from_graph() { # binary, module dir: every module in its build info has the graph's version
  local info deps
  info="$(go version -m "$1" 2>/dev/null)" || return 1
  [[ "$(head -1 <<<"$info")" == "$1: $(go env GOVERSION)" ]] || return 1
  deps="$(awk -F'\t' '$2=="dep" {if (d) print d; d=$3" "$4} $2=="=>" {d=d" => "$3" "$4} END {if (d) print d}' <<<"$info" | sort -u)"
  [[ -n "$deps" || "$2" == "$here/pause" ]] || return 1
  [[ -z "$(comm -23 <(printf '%s\n' "$deps" | sed '/^$/d') <(graph "$2"))" ]]
}
fresh() { # name, module dir, ldflags, tags
  local f="$bin/$1" sf; sf="$(stamp_file "$1")"
  [[ -x "$f" && -f "$sf" ]] || return 1
  local want_flags want_mod have_flags have_mod
  want_flags="$(flags_hash "$3" "$4")"; want_mod="$(mod_hash "$2")"
  read -r have_flags have_mod < "$sf" || true
  if [[ -z "${have_mod:-}" ]]; then # older stamp
    [[ "$have_flags" == "$(legacy_hash "$2" "$3")" ]] || linked_from_graph "$f" "$2" || return 1
  else
    [[ "$have_flags" == "$want_flags" ]] || return 1
    [[ "$have_mod" == "$want_mod" ]] || linked_from_graph "$f" "$2" || return 1
  fi
  [[ "$(cat "$sf")" == "$want_flags $want_mod" ]] || echo "$want_flags $want_mod" > "$sf"
}

t0=$(now)
log "k8s $k8s_version (commit ${k8s_commit:-unknown}), etcd $etcd_version, containerd $containerd_version," \
    "CNI plugins $cni_version -> $bin"

build() { # module dir, ldflags, tags, output names..., -- packages...
  local dir="$1" ldflags="$2" tags="$3"; shift 3
  local names=() pkgs=()
  while [[ "$1" != "--" ]]; do names+=("$1"); shift; done; shift
  pkgs=("$@")
  local need_names=() need_pkgs=() i
  for i in "${!names[@]}"; do
    fresh "${names[$i]}" "$dir" "$ldflags" "$tags" || { need_names+=("${names[$i]}"); need_pkgs+=("${pkgs[$i]}"); }
  done
  if (( ${#need_names[@]} == 0 )); then
    log "up to date: ${names[*]}"
    return
  fi
  local t; t=$(now)
  (cd "$dir" && go mod download)
  log "go mod download ($(basename "$dir")): $(( $(now) - t ))s"
  local tmp; tmp="$(mktemp -d "$bin/.build.XXXXXX")"
  t=$(now)
  # one `go build` for all packages: they share the compile of their common dependencies
  (cd "$dir" && nice -n "$nice_level" go build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$tmp/" "${need_pkgs[@]}")
  local want; want="$(flags_hash "$ldflags" "$tags") $(mod_hash "$dir")"
  for i in "${!need_names[@]}"; do
    # go names a binary after the last import path element, skipping a major-version suffix
    local elem pkg="${need_pkgs[$i]}"; elem="$(basename "$pkg")"
    [[ "$elem" =~ ^v[0-9]+$ ]] && elem="$(basename "$(dirname "$pkg")")"
    [[ "$pkg" == "." ]] && elem="$(basename "$dir")"
    local produced="$tmp/$elem"
    [[ -x "$produced" ]] || { log "expected $produced after build"; ls -la "$tmp" >&2; exit 1; }
    mkdir -p "$(dirname "$bin/${need_names[$i]}")"
    mv -f "$produced" "$bin/${need_names[$i]}"
    printf '%s\n' "$want" > "$(stamp_file "${need_names[$i]}")"
  done
  rm -rf "$tmp"
  log "built ${need_names[*]} in $(( $(now) - t ))s"
}

k8s_names=(kube-apiserver kube-controller-manager kube-scheduler kubeadm kubelet)
k8s_pkgs=(); for n in "${k8s_names[@]}"; do k8s_pkgs+=("k8s.io/kubernetes/cmd/$n"); done
build "$here" "$k8s_ldflags" "" "${k8s_names[@]}" -- "${k8s_pkgs[@]}"
build "$here/etcd" "$etcd_ldflags" "" etcd -- go.etcd.io/etcd/server/v3
build "$here/containerd" "$containerd_ldflags" "$containerd_tags" containerd ctr containerd-shim-runc-v2 -- \
  "$ctd_pkg/cmd/containerd" "$ctd_pkg/cmd/ctr" "$ctd_pkg/cmd/containerd-shim-runc-v2"
cni_pkg=github.com/containernetworking/plugins/plugins
build "$here/cni" "$cni_ldflags" "" cni/bridge cni/host-local cni/loopback cni/portmap -- \
  "$cni_pkg/main/bridge" "$cni_pkg/ipam/host-local" "$cni_pkg/main/loopback" "$cni_pkg/meta/portmap"
build "$here/pause" "$pause_ldflags" "" pause -- .

log "versions: $("$bin/kubeadm" version -o short) / $("$bin/etcd" --version | head -1) /" \
    "$("$bin/kubelet" --version) / $("$bin/containerd" --version)"
log "total: $(( $(now) - t0 ))s"
echo "$bin"
