#!/usr/bin/env bash
# The Snakemake workflow at scale: N one-minute simulated recordings (default 1000, at
# 2 kHz, emg-synth's built-in scenarios in turn, 1-5 channels each) through the whole
# workflow on this machine's cores, beside the same work done by `xargs -P` and by GNU
# `parallel` (the README's shell forms; parallel only if installed), in one run.
#
# Every run does the same work: the per-recording chain (convert, filter, features,
# fatigue, detect, label), then the joined tables, the group table and the labelled
# dataset. Each tool runs under /usr/bin/time, so the report gives per run:
#   wall_s       wall time of the whole run, and its ratio to the xargs run;
#   cpu_use      user+sys of all tool processes / (wall x cores): 1.00 = every core
#                busy all the time (the driver's own CPU is in cpu_driver_s);
#   chain_s      wall time of the per-recording phase (from the start to the last
#                per-recording output written), and chain_use, that phase's cpu_use: the
#                engine's own measure, apart from the joins at the end (tail_s = the rest),
#                which run one or two processes whatever the engine;
#   job_rss_MiB  peak RSS of the largest single tool process (which tool);
#   driver_MiB   peak RSS of the driver itself (Snakemake's Python process; xargs and
#                parallel are negligible and not measured);
#   load         mean 1-minute load average while the run ran (the machine may be shared).
# and whether every table and the dataset's arrays are identical to Snakemake's.
#   scripts/bench_workflow.sh [-b BIN] [-n N] [-o DIR] [-e ENGINES]
# -e picks the runs, a comma list of snakemake, xargs, parallel (default all three; the
# ratios need xargs, the identity checks snakemake).
# Run it niced on a shared machine: nice -n 10 scripts/bench_workflow.sh -n 1000
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
bin=build/bin
n=1000
dir=/tmp/emgkit-bench-workflow
engines=snakemake,xargs,parallel
while getopts "b:n:o:e:" opt; do
  case $opt in
    b) bin=$OPTARG ;;
    n) n=$OPTARG ;;
    o) dir=$OPTARG ;;
    e) engines=$OPTARG ;;
    *) echo "usage: $0 [-b BIN] [-n N] [-o DIR] [-e ENGINES]" >&2; exit 1 ;;
  esac
done
bin=$(cd "$bin" && pwd)
cores=$(nproc)
rm -rf "$dir" && mkdir -p "$dir/recordings" "$dir/timed"
dir=$(cd "$dir" && pwd)
# The workflow's own defaults, so every run does what the Snakefile does.
dataset_args=$(awk -F'"' '/^dataset_args:/ { print $2 }' scripts/workflow/config.yaml)

echo "simulating $n one-minute recordings..." >&2
simulate() {  # simulate I SCENARIO: one minute of the scenario, seed I
  "$bin/emg-synth" -q --scenario "$2" --seed "$1" --duration 60 --rate 2000 \
    -o "$dir/recordings/rec$1.h5"
}
export -f simulate && export bin dir
mapfile -t scenarios < <("$bin/emg-synth" --list | cut -d' ' -f1)
for i in $(seq "$n"); do echo "$i ${scenarios[i % ${#scenarios[@]}]}"; done |
  xargs -P "$cores" -L 1 bash -c 'simulate "$@"' _
# Without their truth tables the dataset is labelled by emg-label (dataset_events=auto),
# so the dataset waits on every recording's whole chain.
rm -f "$dir"/recordings/*.events.tsv

# Every tool through /usr/bin/time: one line per process in $BENCH_JOBS.
for tool in "$bin"/emg-*; do
  name=$(basename "$tool")
  # The last field is the number of arguments: the joins' calls (emg-dataset, and
  # emg-fatigue --group over every recording) are told from the per-recording ones by it.
  printf '#!/bin/sh\nexec /usr/bin/time -a -o "$BENCH_JOBS" -f "%s %%e %%U %%S %%M $#" %q "$@"\n' \
    "$name" "$tool" >"$dir/timed/$name"
  chmod +x "$dir/timed/$name"
done
T=$dir/timed

# The shell form, as a user writes it (README, docs/workflow.md): a chain per recording
# run by xargs -P or parallel, then the joins over all recordings.
cat >"$dir/chain.sh" <<CHAIN
#!/usr/bin/env bash
set -euo pipefail
rec=\$1 out=\$2/recordings/\$(basename "\$1" .h5)
mkdir -p "\$out"
$T/emg-convert -q "\$rec" -o "\$out/recording.h5"
$T/emg-filter -q --default-chain "\$out/recording.h5" -o "\$out/filtered.h5"
$T/emg-features -q --no-filter "\$out/filtered.h5" -o "\$out/features.tsv"
$T/emg-fatigue -q --no-filter "\$out/filtered.h5" -o "\$out/fatigue.tsv"
$T/emg-detect -q --no-filter "\$out/filtered.h5" -o "\$out/detect.tsv"
$T/emg-label -q "\$out/recording.h5" -o "\$out/labels.tsv"
CHAIN
cat >"$dir/join.sh" <<JOIN
#!/usr/bin/env bash
# join.sh OUT: the tables of all recordings under one header, the group table, the dataset
set -euo pipefail
out=\$1 && mkdir -p "\$out/all"
recs=\$(cd "$dir/recordings" && ls | sort | sed 's/\.h5\$//')
for t in features fatigue detect labels; do
  for r in \$recs; do cat "\$out/recordings/\$r/\$t.tsv"; done | awk 'NR == 1 || !/^file\t/' >"\$out/all/\$t.tsv"
done
{ printf 'file\tsubject\tcondition\n'; for r in \$recs; do printf '%s\t%s\tall\n' "\$out/recordings/\$r/filtered.h5" "\$r"; done; } >"\$out/all/cohort.tsv"
files=(); for r in \$recs; do files+=("\$out/recordings/\$r/filtered.h5"); done
$T/emg-fatigue -q -j $cores --no-filter --cohort "\$out/all/cohort.tsv" --group "\$out/all/group.tsv" "\${files[@]}" >/dev/null
{ printf 'file\tevents\tsubject\tsession\n'; for r in \$recs; do printf '%s\t%s\t%s\tn/a\n' "$dir/recordings/\$r.h5" "\$out/recordings/\$r/labels.tsv" "\$r"; done; } >"\$out/all/dataset-sheet.tsv"
$T/emg-dataset -q $dataset_args --sample-sheet "\$out/all/dataset-sheet.tsv" -o "\$out/all/dataset.h5"
JOIN
chmod +x "$dir/chain.sh" "$dir/join.sh"

# measure NAME COMMAND...: run it; its wall time, the jobs' CPU and RSS, the driver's
# peak RSS (VmHWM of the process the command execs into) and the load while it ran.
measure() {
  local name=$1
  shift
  export BENCH_JOBS=$dir/$name.jobs
  : >"$BENCH_JOBS"
  local start
  start=$(date +%s.%N)
  /usr/bin/time -f "%e %U %S" -o "$dir/$name.time" \
    bash -c 'echo $$ >"$0"; exec "$@"' "$dir/$name.pid" "$@" >"$dir/$name.log" 2>&1 &
  local timer=$! hwm=0 loads=()
  while kill -0 "$timer" 2>/dev/null; do
    local pid
    pid=$(cat "$dir/$name.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
      local now
      now=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
      [ -n "$now" ] && [ "$now" -gt "$hwm" ] && hwm=$now
    fi
    loads+=("$(cut -d' ' -f1 /proc/loadavg)")
    sleep 2
  done
  wait "$timer" || { echo "$name failed: $(tail -5 "$dir/$name.log")" >&2; exit 1; }
  read -r wall user sys <"$dir/$name.time"
  printf '%s\n' "${loads[@]}" >"$dir/$name.load"
  local chain_end
  chain_end=$(find "$dir/$name/results/recordings" -type f -printf '%T@\n' | sort -n | tail -1)
  awk -v name="$name" -v wall="$wall" -v user="$user" -v sys="$sys" -v cores="$cores" \
    -v chain_s="$(echo "$chain_end - $start" | bc)" \
    -v hwm="$hwm" -v load="$(awk '{ s += $1 } END { printf "%.1f", s / NR }' "$dir/$name.load")" '
    { cpu += $3 + $4; if ($5 > rss) { rss = $5; big = $1 }
      if ($1 != "emg-dataset" && $6 < 20) chain_cpu += $3 + $4 }
    END { driver_cpu = user + sys - cpu; if (driver_cpu < 0) driver_cpu = 0
          printf "%-10s %8.1f %8.2f %8.1f %9.2f %7.1f %10.1f %9.2f %8.1f %-13s %10s %6s\n", name, wall,
            cpu / wall / cores, chain_s, chain_cpu / chain_s / cores, wall - chain_s,
            driver_cpu, wall / '"$n"', rss / 1024, big,
            (hwm > 0 && name == "snakemake") ? sprintf("%.1f", hwm / 1024) : "-", load }' \
    "$BENCH_JOBS" >>"$dir/report"
}

runs=()
for run in snakemake xargs parallel; do
  [[ ",$engines," == *",$run,"* ]] || continue
  if [ "$run" = parallel ] && ! command -v parallel >/dev/null; then
    echo "parallel is not installed: its run is skipped" >&2
    continue
  fi
  runs+=("$run")
done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
find "$dir/recordings" -name '*.h5' | sort >"$dir/list"
for run in "${runs[@]}"; do
  case $run in
    snakemake) measure snakemake snakemake -s "$src/scripts/workflow/Snakefile" \
      --profile "$src/scripts/workflow/profiles/local" \
      --directory "$dir/snakemake" --cores "$cores" --quiet all --config "bin=$T" \
      "inputs=$dir/recordings" out=results ;;
    xargs) measure xargs bash -c "xargs -a $dir/list -P $cores -I{} $dir/chain.sh {} \
      $dir/xargs/results && $dir/join.sh $dir/xargs/results" ;;
    parallel) measure parallel bash -c "parallel --will-cite -j $cores $dir/chain.sh {} \
      $dir/parallel/results :::: $dir/list && $dir/join.sh $dir/parallel/results" ;;
  esac
done

# Identical results: every per-recording and joined table (the `file` column names the
# converted copy or the recording, so it is left out), and the dataset's arrays and
# tables (its `events` column names each run's own label tables).
same() {  # same RUN: 0 if RUN's results equal Snakemake's
  local a=$dir/snakemake/results b=$dir/$1/results t r
  for r in $(ls "$a/recordings"); do
    for t in features fatigue detect labels; do
      cmp -s <(cut -f2- "$a/recordings/$r/$t.tsv") <(cut -f2- "$b/recordings/$r/$t.tsv") || return 1
    done
  done
  for t in features fatigue detect labels; do
    cmp -s <(cut -f2- "$a/all/$t.tsv") <(cut -f2- "$b/all/$t.tsv") || return 1
  done
  cmp -s <(cut -f2- "$a/all/group.tsv") <(cut -f2- "$b/all/group.tsv") || return 1
  /usr/bin/python3 - "$a/all/dataset.h5" "$b/all/dataset.h5" <<'PY' || return 1
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:])
def objects(f):
    found = []
    f.visititems(lambda name, o: found.append(name) if isinstance(o, h5py.Dataset) else None)
    return sorted(n for n in found if not n.startswith("provenance") and n != "rows/events")
assert objects(a) == objects(b), "different objects"
for name in objects(a):
    x, y = a[name][()], b[name][()]
    assert x.shape == y.shape and np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
print(f"dataset: {a['samples'].shape[0]} rows, identical", file=sys.stderr)
PY
}

{
  echo "$n one-minute recordings, $cores cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-10s %8s %8s %8s %9s %7s %10s %9s %8s %-13s %10s %6s\n' run wall_s cpu_use chain_s \
    chain_use tail_s cpu_driver_s s_per_rec \
    job_rss_MiB largest_job driver_MiB load
  cat "$dir/report"
  xwall=$(awk '$1 == "xargs" { print $2 }' "$dir/report")
  if [ -n "$xwall" ]; then
    awk -v x="$xwall" '{ printf "%s / xargs wall time: %.2f\n", $1, $2 / x }' "$dir/report"
  fi
  first=${runs[0]}
  echo "feature rows: $(($(wc -l <"$dir/$first/results/all/features.tsv") - 1)) from $(ls "$dir/$first/results/recordings" | wc -l) recordings"
  if [ "$first" = snakemake ]; then
    for run in "${runs[@]:1}"; do
      if same "$run"; then echo "$run: tables and dataset identical to snakemake's"
      else echo "$run: results DIFFER from snakemake's"; fi
    done
  fi
}
