#!/usr/bin/env bash
# Installs the Debian/Ubuntu libraries OpenCV, MediaPipe and Qt load at run time, when missing
# (and strace, which the privacy tests run the app under, and PostgreSQL, which the tests of a
# clinic's shared store start a real server of).
# Runs as part of `make install`; does nothing when everything is present. Needs root for apt;
# without it, prints the command to run instead of failing.
set -euo pipefail

packages=(
  libgl1 libegl1 libglib2.0-0      # OpenCV (non-headless wheel) and MediaPipe
  libxkbcommon0 libfontconfig1 libdbus-1-3 libxkbcommon-x11-0 libxcb-cursor0  # Qt
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
  libxcb-xinerama0 libxcb-xkb1                                                     # Qt on X11
  espeak-ng                                                                         # voice cues
  strace                                                                            # tests/test_privacy.py
  # The clinic-store tests run initdb/pg_ctl into a temporary folder (tests/postgres_server.py);
  # the app itself only needs a server when FORMCHECK_DATABASE_URL names one, anywhere on the network.
  postgresql
)

command -v dpkg-query >/dev/null 2>&1 || exit 0   # not Debian-like: nothing we can do here
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "note: these system packages may be needed: sudo apt-get install ${missing[*]}" >&2
fi
