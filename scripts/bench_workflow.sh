#!/usr/bin/env bash
# The Snakemake workflow at scale: N one-minute simulated recordings (default 1000,
# at 2 kHz, emg-synth's built-in scenarios in turn, 1-5 channels each) through the whole chain on this machine's
# cores, beside the same chain run by `xargs -P` (the README's shell form), in one run.
# Reports wall time, CPU use per core (user+sys / wall / cores: 1.0 = every core busy
# all the time) and the peak memory of the largest single process of each run.
#   scripts/bench_workflow.sh [-b BIN] [-n N] [-o DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
n=1000
dir=/tmp/emgkit-bench-workflow
while getopts "b:n:o:" opt; do
  case $opt in
    b) bin=$OPTARG ;;
    n) n=$OPTARG ;;
    o) dir=$OPTARG ;;
    *) echo "usage: $0 [-b BIN] [-n N] [-o DIR]" >&2; exit 1 ;;
  esac
done
bin=$(cd "$bin" && pwd)
cores=$(nproc)
rm -rf "$dir" && mkdir -p "$dir/recordings"

echo "simulating $n one-minute recordings..." >&2
simulate() {  # simulate I SCENARIO: one minute of the scenario, seed I
  "$bin/emg-synth" -q --scenario "$2" --seed "$1" --duration 60 --rate 2000 \
    -o "$dir/recordings/rec$1.h5"
}
export -f simulate && export bin dir
mapfile -t scenarios < <("$bin/emg-synth" --list | cut -d' ' -f1)
for i in $(seq "$n"); do echo "$i ${scenarios[i % ${#scenarios[@]}]}"; done |
  xargs -P "$cores" -L 1 bash -c 'simulate "$@"' _
rm -f "$dir"/recordings/*.events.tsv

# measure NAME COMMAND...: wall s, CPU per core, peak RSS of the largest process (MiB).
measure() {
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$dir/$name.time" "$@" >"$dir/$name.log" 2>&1
  read -r wall user sys rss <"$dir/$name.time"
  awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v c="$cores" -v k="$n" \
    'BEGIN { printf "%-10s %8.1f %10.2f %12.3f %14.1f\n", n, w, (u + s) / w / c, w / k, r / 1024 }'
}

# The chain of one recording, as a shell user writes it for xargs -P.
cat >"$dir/chain.sh" <<CHAIN
#!/usr/bin/env bash
set -euo pipefail
rec=\$1 out=$dir/xargs/\$(basename "\$1" .h5)
mkdir -p "\$out"
"$bin/emg-convert" -q "\$rec" -o "\$out/recording.h5"
"$bin/emg-filter" -q --default-chain "\$out/recording.h5" -o "\$out/filtered.h5"
"$bin/emg-features" -q --no-filter "\$out/filtered.h5" -o "\$out/features.tsv"
"$bin/emg-fatigue" -q --no-filter "\$out/filtered.h5" -o "\$out/fatigue.tsv"
"$bin/emg-detect" -q --no-filter "\$out/filtered.h5" -o "\$out/detect.tsv"
"$bin/emg-label" -q "\$out/recording.h5" -o "\$out/labels.tsv"
CHAIN
chmod +x "$dir/chain.sh"

printf '%-10s %8s %10s %12s %14s\n' run wall_s cpu_per_core s_per_rec peak_rss_MiB
measure snakemake snakemake -s scripts/workflow/Snakefile --directory "$dir/wf" \
  --cores "$cores" --quiet all --config "bin=$bin" "inputs=$dir/recordings" out=results
find "$dir/recordings" -name '*.h5' | sort | measure xargs xargs -P "$cores" -n 1 "$dir/chain.sh"
rows=$(($(wc -l <"$dir/wf/results/all/features.tsv") - 1))
echo "snakemake: $rows feature rows from $(ls "$dir/wf/results/recordings" | wc -l) recordings" >&2
