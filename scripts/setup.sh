#!/usr/bin/env bash
# Install what emgkit needs on Debian (when missing), then configure and build.
#   scripts/setup.sh [--sanitize] [--build-dir DIR] [--deps-only]
# --sanitize builds with AddressSanitizer and UndefinedBehaviorSanitizer;
# --deps-only installs the packages and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
sanitize=OFF
deps_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize=ON; build_dir=build-sanitize ;;
    --build-dir) build_dir="$2"; shift ;;
    --deps-only) deps_only=1 ;;
    *) echo "setup.sh: unknown option $1" >&2; exit 1 ;;
  esac
  shift
done

# Build tools and libraries, plus the independent readers the tests compare against
# (MNE for EDF+, h5py for HDF5, SciPy for spectra), pandas and pytest for the Python
# package and its tests, GNU time for the benchmarks' peak
# memory, column for the demo's tables and h5dump for looking inside HDF5 files;
# Snakemake and a Slurm node (slurm-wlm, munge) for the workflow and its tests, GNU
# parallel for the README's shell example and the workflow benchmark.
# emg-plot draws with PLplot (its cairo driver for PNG and PDF, DejaVu for text);
# its tests read the images with PIL, and open emg-report's page in headless
# Chromium (docs/plotting.md).
packages=(build-essential cmake pkg-config libfftw3-dev libsndfile1-dev libhdf5-dev
          libcmocka-dev libedf-dev libbiosig-dev hdf5-tools python3 python3-numpy
          python3-scipy python3-h5py python3-mne python3-statsmodels python3-pandas python3-pytest
          time bsdextrautils snakemake slurm-wlm munge parallel
          libplplot-dev plplot-driver-cairo fonts-dejavu-core python3-pil chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

[ "$deps_only" -eq 0 ] || exit 0
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DEMGKIT_SANITIZE="$sanitize" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
echo "setup.sh: built into $build_dir/bin" >&2
