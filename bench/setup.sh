#!/usr/bin/env bash
# Installs the Debian packages the benchmark suite needs (peers, allocators, plotting), or says
# how to. Nothing is vendored: every peer comes from Debian 12.
#   bench/setup.sh            install what is missing (as root), else print the apt-get line
#   bench/setup.sh --check    only list what is missing (exit 1 if anything is)
set -u
PACKAGES="g++ python3 gnuplot-nox libboost1.81-dev libabsl-dev libglib2.0-dev uthash-dev golang-go
libjemalloc2 libmimalloc2.0"
missing=()
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "${1:-}" = --check ]; then echo "${missing[*]}"; exit 1; fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "bench/setup.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null && exit 0
    echo "bench/setup.sh: apt-get install ${missing[*]} failed" >&2
    exit 1
fi
echo "bench/setup.sh: missing Debian packages: ${missing[*]}" >&2
echo "bench/setup.sh: install them with: sudo apt-get install ${missing[*]}" >&2
exit 1
