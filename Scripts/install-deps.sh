#!/usr/bin/env bash
# Installs the Debian packages Resonance builds against, and only those that are missing.
# Idempotent: a second run makes no network call and changes nothing.
set -euo pipefail

packages=(
  pkg-config
  libopenblas-dev
  liblapacke-dev
  libnifti2-dev
  libsndfile1-dev
  libfftw3-dev
  libsoxr-dev
  zlib1g-dev
  libpng-dev
  libsqlite3-dev  # GRDB (ListeningTest, issue 9)
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing missing system packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
