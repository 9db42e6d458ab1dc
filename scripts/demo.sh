#!/usr/bin/env bash
# Set up (installing what is missing), build, and run the main job on the
# recordings shipped in datasets/: describe them, convert between formats
# through the pipe, measure fatigue on a sustained contraction, find the
# contractions of a burst recording, and label spasms in a simulated scene.
# Results go to demo-output/ (or the directory given as $1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
bin=build/bin
out=${1:-demo-output}
mkdir -p "$out"
data=datasets
step() { printf '\n== %s\n' "$*" >&2; }
# show TABLE [COLUMNS]: a TSV table aligned on stderr (all columns, or the listed ones).
show() {
  local cols=${2:-}
  if [ -n "$cols" ]; then cut -f "$cols" "$1"; else cat "$1"; fi | column -t -s $'\t' >&2
}

step "emg-info: every shipped recording, one row per channel"
"$bin/emg-info" "$data"/physionet_emgdb/*.hea "$data"/physionet_grabmyo/*.hea \
  "$data"/backyardbrains_wav/*.wav "$data"/plux_opensignals/*.h5 \
  "$data"/sleepedf_excerpt/short_psg.edf > "$out/info.tsv"
# the BITalino text file has no rate of its own: --fs for it alone (the other formats carry
# theirs); every table starts with the file column, so the rows append (tail -n +2)
"$bin/emg-info" --fs 1000 "$data"/bitalino_txt/emg_1.txt | tail -n +2 >> "$out/info.tsv"
show "$out/info.tsv" 1-8

step "emg-convert through the pipe: WFDB -> pipe -> EDF+ (same result as direct)"
"$bin/emg-convert" "$data/physionet_emgdb/emg_neuropathy.hea" - |
  "$bin/emg-convert" - -o "$out/emg_neuropathy.edf"
"$bin/emg-info" "$out/emg_neuropathy.edf" >"$out/emg_neuropathy.info.tsv"
show "$out/emg_neuropathy.info.tsv" 1-8

if [ -x "$bin/emg-fatigue" ]; then
  step "emg-fatigue: biceps held to exhaustion (median frequency trend per minute)"
  "$bin/emg-fatigue" "$data/backyardbrains_wav/S8_EMG_bicep_sustained.wav" -c 1 \
    > "$out/fatigue_S8.tsv"
  show "$out/fatigue_S8.tsv"
fi

if [ -x "$bin/emg-detect" ]; then
  step "emg-detect: contractions in the PLUX burst recording"
  "$bin/emg-detect" "$data/plux_opensignals/emg_bursts.h5" \
    > "$out/bursts_events.tsv"
  show "$out/bursts_events.tsv"
fi

if [ -x "$bin/emg-synth" ] && [ -x "$bin/emg-label" ] && [ -x "$bin/emg-score" ]; then
  step "emg-synth + emg-label + emg-score: a simulated scene with known spasms"
  "$bin/emg-synth" --scenario session --seed 7 -o "$out/scene.edf"
  "$bin/emg-label" "$out/scene.edf" > "$out/scene_labels.tsv"
  # rest, artefact and prodrome rows of the truth describe the scene, not events to find
  "$bin/emg-score" --skip rest,artefact,prodrome --truth "$out/scene.events.tsv" \
    --pred "$out/scene_labels.tsv" > "$out/scene_scores.tsv"
fi
step "done: results in $out/"
