#!/usr/bin/env bash
# Build the Kubernetes control-plane binaries the conformance harness runs against:
#   kube-apiserver kube-controller-manager kube-scheduler kubeadm   (k8s.io/kubernetes, conformance/go.mod)
#   etcd                                                            (go.etcd.io/etcd/server/v3, conformance/etcd/go.mod)
# into $KUBEFORGE_CACHE/kube/<k8s-version>/bin/ (default cache: <repo>/.cache, git-ignored).
#
# Go is used here ONLY to build these upstream binaries; there is no product code in Go.
#
# A binary is rebuilt only when it is missing or when the content stamp next to it (sha256 of
# the module's go.mod + go.sum + the build flags) differs. A content stamp, not mtimes: a fresh
# git clone (CI) gives go.mod a new mtime, which would force pointless relinks of a shared cache.
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
k8s_version="$(awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3}' "$here/go.mod")"
etcd_version="$(awk '$1=="require" && $2=="go.etcd.io/etcd/server/v3" {print $3}' "$here/etcd/go.mod")"
[[ "$k8s_version" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || { log "cannot read k8s.io/kubernetes version from go.mod"; exit 1; }
k8s_minor="${BASH_REMATCH[1]}"
[[ -n "$etcd_version" ]] || { log "cannot read etcd version from etcd/go.mod"; exit 1; }

cache_root="${KUBEFORGE_CACHE:-$repo/.cache}"
bin="$cache_root/kube/$k8s_version/bin"
mkdir -p "$bin"

# Version stamping exactly like hack/lib/version.sh, so `kubeadm version` / apiserver /version
# report the real release (kubeadm compares its own version with kubernetesVersion).
# The tag commit is known only when the module proxy's .info carries an Origin (often it does not);
# buildDate is the tag time from .info, so the binaries are reproducible.
k8s_info="$(go mod download -json "k8s.io/kubernetes@$k8s_version" 2>/dev/null || true)"
k8s_commit="$(sed -n 's/.*"Hash": "\([0-9a-f]\{40\}\)".*/\1/p' <<<"$k8s_info" | head -1)"
info_file="$(sed -n 's/.*"Info": "\(.*\)".*/\1/p' <<<"$k8s_info" | head -1)"
build_date=""
[[ -n "$info_file" && -f "$info_file" ]] && build_date="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info_file")"
build_date="${build_date:-1970-01-01T00:00:00Z}"
ldx=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldx+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
  ldx+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  [[ -n "$k8s_commit" ]] && ldx+=" -X $pkg.gitCommit=$k8s_commit"
done
k8s_ldflags="-s -w$ldx"
etcd_ldflags="-s -w"

stamp_of() { # module dir, ldflags
  { cat "$1/go.mod" "$1/go.sum"; echo "$2"; go version; } | sha256sum | cut -c1-64
}
k8s_stamp="$(stamp_of "$here" "$k8s_ldflags")"
etcd_stamp="$(stamp_of "$here/etcd" "$etcd_ldflags")"

fresh() { # name stamp
  [[ -x "$bin/$1" && -f "$bin/.$1.stamp" && "$(cat "$bin/.$1.stamp")" == "$2" ]]
}

t0=$(now)
log "k8s $k8s_version (commit ${k8s_commit:-unknown}), etcd $etcd_version -> $bin"

# --- module download (timed separately from compilation) ----------------------------------
need_k8s=()
for n in kube-apiserver kube-controller-manager kube-scheduler kubeadm; do
  fresh "$n" "$k8s_stamp" || need_k8s+=("$n")
done
need_etcd=0
fresh etcd "$etcd_stamp" || need_etcd=1

if (( ${#need_k8s[@]} + need_etcd > 0 )); then
  t=$(now)
  (cd "$here" && go mod download) && (cd "$here/etcd" && go mod download)
  log "go mod download: $(( $(now) - t ))s (GOMODCACHE=$(go env GOMODCACHE))"
fi

build() { # module dir, ldflags, stamp, output names..., -- packages...
  local dir="$1" ldflags="$2" stamp="$3"; shift 3
  local names=() pkgs=()
  while [[ "$1" != "--" ]]; do names+=("$1"); shift; done; shift
  pkgs=("$@")
  local tmp; tmp="$(mktemp -d "$bin/.build.XXXXXX")"
  local t; t=$(now)
  # one `go build` for all packages: they share the compile of their common dependencies
  (cd "$dir" && nice -n "$nice_level" go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}")
  local i
  for i in "${!names[@]}"; do
    # go names a binary after the last import path element, skipping a major-version suffix
    local elem; elem="$(basename "${pkgs[$i]}")"
    [[ "$elem" =~ ^v[0-9]+$ ]] && elem="$(basename "$(dirname "${pkgs[$i]}")")"
    local produced="$tmp/$elem"
    [[ -x "$produced" ]] || { log "expected $produced after build"; ls -la "$tmp" >&2; exit 1; }
    mv -f "$produced" "$bin/${names[$i]}"
    printf '%s\n' "$stamp" > "$bin/.${names[$i]}.stamp"
  done
  rm -rf "$tmp"
  log "built ${names[*]} in $(( $(now) - t ))s"
}

if (( ${#need_k8s[@]} > 0 )); then
  pkgs=(); for n in "${need_k8s[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$n"); done
  build "$here" "$k8s_ldflags" "$k8s_stamp" "${need_k8s[@]}" -- "${pkgs[@]}"
else
  log "kubernetes binaries up to date"
fi
if (( need_etcd )); then
  build "$here/etcd" "$etcd_ldflags" "$etcd_stamp" etcd -- go.etcd.io/etcd/server/v3
else
  log "etcd up to date"
fi

log "versions: $("$bin/kubeadm" version -o short) / $("$bin/etcd" --version | head -1)"
log "total: $(( $(now) - t0 ))s"
echo "$bin"
