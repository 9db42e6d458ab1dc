#!/usr/bin/env bash
# Render the README's figures from the recordings in datasets/ into docs/images/:
# every kind of emg-plot figure, and the figures of the tutorials in docs/tutorials/.
# Same inputs, same images.
#   scripts/render_figures.sh [BUILD_DIR]      (default build; built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$build/bin
[ -x "$bin/emg-plot" ] || scripts/setup.sh --build-dir "$build"
out=docs/images
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
size=960x540
s1=datasets/backyardbrains_wav/S1_EMG_bicepTricep2.wav
fatigue=datasets/plux_opensignals/emg_fatigue.h5

# The labeller on a real biceps/triceps recording: the trace and each event.
"$bin/emg-label" -q "$s1" -o "$tmp/s1.labels.tsv"
"$bin/emg-plot" signal -q "$s1" --events "$tmp/s1.labels.tsv" --size $size \
  --title "Biceps and triceps (Backyard Brains S1), events of emg-label" -o "$out/signal.png"
"$bin/emg-plot" gallery -q "$s1" --events "$tmp/s1.labels.tsv" --size $size \
  --title "Each labelled event: waveform and 50 ms RMS envelope" -o "$out/gallery.png"
# Biceps flexed to fatigue: the spectrum moves down, the median frequency falls.
"$bin/emg-plot" spectrogram -q "$fatigue" --max-freq 400 --size $size \
  --title "Biceps to fatigue (PLUX): spectrogram" -o "$out/spectrogram.png"
"$bin/emg-plot" trend -q "$fatigue" --size $size \
  --title "Biceps to fatigue: MDF and MNF of the active windows" -o "$out/trend.png"
# A cohort of the real recordings' median-frequency slopes.
"$bin/emg-fatigue" -q "$fatigue" datasets/backyardbrains_wav/S8_EMG_bicep_sustained.wav \
  datasets/plux_opensignals/emg_bursts.h5 datasets/bitalino_txt/emg_1.txt -o "$tmp/fatigue.tsv"
"$bin/emg-plot" forest -q "$tmp/fatigue.tsv" --size $size \
  --title "MDF slopes of four recordings, random-effects pooled" -o "$out/forest.png"
# The labeller against a simulated calf cramp and clonus session's ground truth.
"$bin/emg-synth" -q --scenario datasets/scenarios/calf-cramp-clonus.scn --seed 1 -o "$tmp/cc.edf"
"$bin/emg-label" -q "$tmp/cc.edf" -o "$tmp/cc.labels.tsv"
"$bin/emg-score" -q --truth "$tmp/cc.events.tsv" --pred "$tmp/cc.labels.tsv" \
  --confusion "$tmp/confusion.tsv" -o "$tmp/score.tsv"
"$bin/emg-plot" signal -q "$tmp/cc.edf" --size $size \
  --title "Simulated calf cramp and clonus (emg-synth), its annotations" -o "$out/signal-annotations.png"
"$bin/emg-plot" counts -q "$tmp/cc.events.tsv" "$tmp/cc.labels.tsv" --size $size \
  --title "Events per label: simulation's truth and emg-label, pooled" -o "$out/counts.png"
"$bin/emg-plot" confusion -q "$tmp/confusion.tsv" --size $size \
  --title "emg-label against the simulation's truth" -o "$out/confusion.png"
# The tutorials' figures (docs/images/TUTORIAL/): drawn by the tutorials' own commands,
# as their test runs them (tests/cli/test_tutorials.sh).
EMGKIT_TUTORIAL_IMAGES=$PWD/$out ctest --test-dir "$build" -R cli/test_tutorials --output-on-failure
ls -lR "$out"
