#!/usr/bin/env bash
# Idempotent set-up behind `npm run demo` and `npm test`: system packages when missing
# (apt-get on Debian/Ubuntu, dnf on Fedora), npm dependencies, the libsolv addon, and
# the TypeScript build. `--test` adds the tools the test suite runs against (dnf as the
# reference resolver, createrepo_c, rpm).
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { echo "setup: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else say "need root for: $*"; exit 1; fi; }

missing=()
have_lib() { pkg-config --exists "$1" 2>/dev/null; }
if [ -r /etc/debian_version ]; then
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  command -v g++ >/dev/null || missing+=(g++)
  command -v make >/dev/null || missing+=(make)
  have_lib libsolv || missing+=(libsolv-dev)
  have_lib libsolvext || missing+=(libsolvext-dev)
  # The addon streams xz, zstd and bzip2 RPM payloads through the system libraries.
  have_lib liblzma || missing+=(liblzma-dev)
  have_lib libzstd || missing+=(libzstd-dev)
  [ -f /usr/include/bzlib.h ] || missing+=(libbz2-dev)
  if [ $want_test = 1 ]; then
    command -v createrepo_c >/dev/null || missing+=(createrepo-c)
    command -v rpmbuild >/dev/null || missing+=(rpm)
    [ -x /usr/bin/dnf ] && /usr/bin/python3 -c 'import dnf' 2>/dev/null || missing+=(dnf)
    command -v skopeo >/dev/null || missing+=(skopeo)
    command -v umoci >/dev/null || missing+=(umoci)
    command -v zstd >/dev/null || missing+=(zstd)
    command -v cpio >/dev/null || missing+=(cpio)
    command -v xz >/dev/null || missing+=(xz-utils)
    # Images are run as a user would run them (test/helpers.ts podmanRun).
    command -v podman >/dev/null || missing+=(podman)
    command -v runc >/dev/null || missing+=(runc)
    # The reference for accounts from sysusers.d files (test/accounts.test.ts).
    command -v systemd-sysusers >/dev/null || missing+=(systemd)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (apt-get)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
elif [ -r /etc/fedora-release ] || [ -r /etc/redhat-release ]; then
  command -v pkg-config >/dev/null || missing+=(pkgconf-pkg-config)
  command -v g++ >/dev/null || missing+=(gcc-c++)
  command -v make >/dev/null || missing+=(make)
  have_lib libsolv || missing+=(libsolv-devel)
  have_lib liblzma || missing+=(xz-devel)
  have_lib libzstd || missing+=(libzstd-devel)
  [ -f /usr/include/bzlib.h ] || missing+=(bzip2-devel)
  if [ $want_test = 1 ]; then
    command -v createrepo_c >/dev/null || missing+=(createrepo_c)
    command -v rpmbuild >/dev/null || missing+=(rpm-build)
    /usr/bin/python3 -c 'import dnf' 2>/dev/null || missing+=(python3-dnf)
    for t in skopeo umoci zstd cpio xz podman runc; do command -v $t >/dev/null || missing+=($t); done
    command -v systemd-sysusers >/dev/null || missing+=(systemd)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (dnf)"
    as_root dnf install -y -q "${missing[@]}"
  fi
else
  have_lib libsolv && have_lib libsolvext || { say "install libsolv's development files (libsolv, libsolvext) and re-run"; exit 1; }
fi

# npm dependencies: only when the lock file is newer than the installed tree.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

# The addon: rebuilt when a native source is newer than the built module.
addon=build/Release/rpmcompose_solv.node
if [ ! -f "$addon" ] || [ -n "$(find native binding.gyp -newer "$addon" 2>/dev/null | head -n1)" ]; then
  say "building the libsolv addon"
  bash scripts/build-addon.sh
fi

say "compiling TypeScript"
rm -rf dist  # tsc never removes what a moved or deleted source compiled to
node_modules/.bin/tsc -p tsconfig.json
