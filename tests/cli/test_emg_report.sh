#!/usr/bin/env bash
# emg-report: the HTML page of two real recordings, opened in headless Chromium
# (Debian chromium, scripts/setup.sh): a screenshot shows the figures, the page's
# own layout check (run by the browser after loading: every figure and table has
# a size on the page) passes, and the browser logs nothing on its console.  The
# check is shown to fail on a page whose figure is hidden.  The page loads nothing
# from a network.  Errors as the standard says.
# A batch (several inputs) also writes one batch page linking each recording's page:
# its forest's pooled MDF slope is checked against statsmodels' DerSimonian-Laird
# pooling of emg-fatigue's slopes, and it is opened in the browser too.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
FATIGUE=$DATA/plux_opensignals/emg_fatigue.h5
S1=$DATA/backyardbrains_wav/S1_EMG_bicepTricep2.wav
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)

# open_page PAGE: dump the DOM after the page's scripts ran, and the console, and a
# screenshot, into $TMP/page.{dom,log,png}.
open_page() {
  local flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
               --user-data-dir="$TMP/chromium" --enable-logging=stderr --v=0
               --virtual-time-budget=5000 --window-size=1280,2400)
  timeout 120 "$CHROMIUM" "${flags[@]}" --dump-dom "file://$1" >"$TMP/page.dom" 2>"$TMP/page.log"
  timeout 120 "$CHROMIUM" "${flags[@]}" --screenshot="$TMP/page.png" "file://$1" \
    >/dev/null 2>>"$TMP/page.log"
}

for input in "$FATIGUE" "$S1"; do
  name=$(basename "$input")
  page=$TMP/$name.html
  expect_exit 0 "report of $name" -- "$BIN/emg-report" -q "$input" -o "$page"
  for section in facts figures fatigue events quality; do
    if grep -q "<h2 id=\"$section\"" "$page"; then pass; else fail "$name: no $section section"; fi
  done
  figures=$(grep -c '^<figure' "$page")
  if [ "$figures" -eq 3 ]; then pass; else fail "$name: $figures figures, expected 3"; fi
  # Self-contained: no source or link to fetch (the SVG namespace is a name, not a fetch).
  if grep -Eq '(src|href)="(https?:|//)|@import|url\(https?:' "$page"; then
    fail "$name: the page refers to the network"
  else pass; fi
  if [ -z "$CHROMIUM" ]; then fail "no chromium to open the page (scripts/setup.sh installs it)"; continue; fi
  open_page "$page"
  if grep -q '<p id="selfcheck">layout checked: 3 figures and [0-9]* tables visible' "$TMP/page.dom"; then
    pass
  else
    fail "$name: the page's layout check: $(grep -o '<p id="selfcheck">[^<]*' "$TMP/page.dom")"
  fi
  if grep -q 'CONSOLE' "$TMP/page.log"; then
    fail "$name: the browser's console: $(grep CONSOLE "$TMP/page.log" | head -3)"
  else pass; fi
  # The screenshot shows the traces (#1f3b73), the spectrogram's viridis and the tables.
  if "$PY" - "$TMP/page.png" >"$TMP/shot" 2>&1 <<'EOF'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
px = im.load()
w, h = im.size
trace = viridis = header = 0
for y in range(0, h, 2):
    for x in range(0, w, 2):
        r, g, b = px[x, y]
        trace += abs(r - 0x1f) < 12 and abs(g - 0x3b) < 12 and abs(b - 0x73) < 12
        viridis += g > 150 and r < 150 and b < 120      # green-yellow cells
        header += r == g == b == 0xf2                    # table header background
print(f"{w}x{h}: trace {trace}, viridis {viridis}, table headers {header} (every 2nd pixel)")
sys.exit(0 if trace > 2000 and viridis > 500 and header > 200 else 1)
EOF
  then pass; else fail "$name: screenshot: $(cat "$TMP/shot")"; fi
done

# The layout check fails when a figure is not visible (the browser sees it).
if [ -n "$CHROMIUM" ]; then
  sed 's|<figure id="signal">|<figure id="signal" style="display:none">|' "$TMP/$(basename "$S1").html" \
    >"$TMP/hidden.html"
  open_page "$TMP/hidden.html"
  if grep -q 'layout problems: figure 1 is 0x0' "$TMP/page.dom" && grep -q CONSOLE "$TMP/page.log"; then
    pass
  else
    fail "a hidden figure went unnoticed: $(grep -o '<p id="selfcheck">[^<]*' "$TMP/page.dom")"
  fi
fi

# The labeller's explanation of each event, and its label in the palette's words.
s1page=$TMP/$(basename "$S1").html
if grep -q '<details><summary>explanation</summary><pre>' "$s1page"; then pass; else
  fail "no explanation of the events"
fi
# Given events replace the labeller's.
printf 'onset\tduration\tchannel\tlabel\n10\t10\tHid channel 1\tcramp\n' >"$TMP/known.tsv"
expect_exit 0 "report with --events" -- "$BIN/emg-report" -q "$S1" --events "$TMP/known.tsv" \
  -o "$TMP/known.html"
rows=$(sed -n '/<table id="event-table">/,/<\/table>/p' "$TMP/known.html" | grep -c '^<tr><td')
if [ "$rows" -eq 1 ]; then pass; else fail "--events: $rows event rows, expected 1"; fi

# A polysomnogram: EEG at 100 Hz and 1 Hz envelope channels (too slow for windows: the
# fatigue trends leave them out, the report goes on).
expect_exit 0 "report of a polysomnogram" -- "$BIN/emg-report" -q \
  "$DATA/sleepedf_excerpt/short_psg.edf" -o "$TMP/psg.html"
if grep -q '<h2 id="quality"' "$TMP/psg.html" && grep -q '<figure id="signal"' "$TMP/psg.html"; then
  pass
else fail "polysomnogram: incomplete page"; fi

# ---- A batch: one page per recording and one batch page (docs/plotting.md).
BURSTS=$DATA/plux_opensignals/emg_bursts.h5
S8=$DATA/backyardbrains_wav/S8_EMG_bicep_sustained.wav
HEALTHY=$DATA/physionet_emgdb/emg_healthy.hea
CORRUPT=$DATA/malformed/S3_EMG.wav
mkdir -p "$TMP/batch" "$TMP/batch2"
# A bad input does not stop the batch: its one error line, no page, the exit code 3.
expect_exit 3 "batch with a corrupt input" -- "$BIN/emg-report" -q -j 2 "$BURSTS" "$S8" "$CORRUPT" \
  "$HEALTHY" -o "$TMP/batch/index.html"
expect_one_error_line S3_EMG.wav
for page in emg_bursts.h5 S8_EMG_bicep_sustained.wav emg_healthy.hea; do
  if [ -s "$TMP/batch/$page.html" ] && grep -q '<a href="index.html">the batch report</a>' \
    "$TMP/batch/$page.html"; then pass; else fail "batch: no page $page.html linking the batch page"; fi
done
if [ "$(ls -A "$TMP/batch" | wc -l)" -eq 4 ] && [ ! -e "$TMP/batch/S3_EMG.wav.html" ]; then pass; else
  fail "batch: expected 3 pages and the batch page, got $(ls -A "$TMP/batch")"
fi
# Every link of the batch page leads to a page written beside it; the failed input is named.
links=$(grep -o '<a href="[^"]*"' "$TMP/batch/index.html" | sed 's/<a href="//; s/"$//')
if [ "$(echo "$links" | wc -l)" -eq 3 ]; then pass; else fail "batch page: links $links"; fi
for l in $links; do
  if [ -s "$TMP/batch/$l" ]; then pass; else fail "batch page links $l, which is not there"; fi
done
if grep -q '<td>[^<]*S3_EMG.wav</td><td colspan="5">no page' "$TMP/batch/index.html"; then pass; else
  fail "batch page: the failed input is not named"
fi
# The pooled MDF slope: DerSimonian-Laird over emg-fatigue's slopes of the same recordings
# (standard errors from their intervals at n_eff - 2 degrees of freedom), by statsmodels;
# the page prints 3 significant digits.
"$BIN/emg-fatigue" -q "$BURSTS" "$S8" "$HEALTHY" -o "$TMP/batch-fatigue.tsv"
if "$PY" - "$TMP/batch-fatigue.tsv" "$TMP/batch/index.html" >"$TMP/pooled" 2>&1 <<'PYEOF'
import csv, re, sys
import numpy as np
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects
rows = [r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t") if r["feature"] == "mdf"]
y = np.array([float(r["slope"]) * 60 for r in rows])
half = np.array([(float(r["ci_high"]) - float(r["ci_low"])) * 60 / 2 for r in rows])
se = half / stats.t.ppf(0.975, np.array([float(r["n_eff"]) for r in rows]) - 2)
res = combine_effects(y, se ** 2, method_re="dl")
frame = res.summary_frame()
want = [frame.loc["random effect", "eff"], frame.loc["random effect", "ci_low"],
        frame.loc["random effect", "ci_upp"], res.i2 * 100]
page = open(sys.argv[2]).read()
m = re.search(r'<p id="pooled">Pooled MDF slope over (\d+) channels: (\S+) Hz/min \[(\S+), (\S+)\]'
              r'.*I<sup>2</sup> = (\S+)%', page)
got = [float(m.group(i)) for i in (2, 3, 4, 5)]
print(f"{len(rows)} slopes; page {got} (k={m.group(1)}); statsmodels {[round(w, 4) for w in want]}")
# 3 significant digits; I2 to the whole percent
ok = int(m.group(1)) == len(rows) and all(abs(g - w) <= 0.006 * abs(w) + 0.5 * (i == 3)
                                          for i, (g, w) in enumerate(zip(got, want)))
sys.exit(0 if ok else 1)
PYEOF
then pass; else fail "pooled MDF slope: $(cat "$TMP/pooled")"; fi
# The same inputs from a list, one at a time: the same pages, byte for byte.
printf '%s\n' "$BURSTS" "$S8" "$CORRUPT" "$HEALTHY" >"$TMP/list"
expect_exit 3 "batch from --inputs" -- "$BIN/emg-report" -q --inputs "$TMP/list" -j 1 \
  -o "$TMP/batch2/index.html"
if cmp -s "$TMP/batch/index.html" "$TMP/batch2/index.html" &&
   cmp -s "$TMP/batch/S8_EMG_bicep_sustained.wav.html" "$TMP/batch2/S8_EMG_bicep_sustained.wav.html"
then pass; else fail "batch: -j 2 and --inputs -j 1 wrote different pages"; fi
if [ -n "$CHROMIUM" ]; then
  open_page "$TMP/batch/index.html"
  if grep -q '<p id="selfcheck">layout checked: 2 figures and 2 tables visible' "$TMP/page.dom"; then
    pass
  else
    fail "batch page's layout check: $(grep -o '<p id="selfcheck">[^<]*' "$TMP/page.dom")"
  fi
  if grep -q 'CONSOLE' "$TMP/page.log"; then
    fail "batch page, the browser's console: $(grep CONSOLE "$TMP/page.log" | head -3)"
  else pass; fi
  # The screenshot shows the pooled diamond (#d55e00) and the tables' header background.
  if "$PY" - "$TMP/page.png" >"$TMP/shot" 2>&1 <<'PYEOF'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
px = im.load()
w, h = im.size
diamond = header = 0
for y in range(0, h, 2):
    for x in range(0, w, 2):
        r, g, b = px[x, y]
        diamond += abs(r - 0xd5) < 12 and abs(g - 0x5e) < 12 and b < 12
        header += r == g == b == 0xf2
print(f"{w}x{h}: diamond {diamond}, table headers {header} (every 2nd pixel)")
sys.exit(0 if diamond > 300 and header > 100 else 1)
PYEOF
  then pass; else fail "batch page screenshot: $(cat "$TMP/shot")"; fi
fi
# Two recordings of one name: the second page gets "-2"; a page that would be written over
# an input is refused before anything is written; no input gives a page: no batch page.
mkdir -p "$TMP/one" "$TMP/two" "$TMP/names" "$TMP/over" "$TMP/none"
cp "$DATA/backyardbrains_wav/S5_EMG_abs_legLift1.wav" "$TMP/one/a.wav"
cp "$DATA/backyardbrains_wav/S5_EMG_abs_legLift1.wav" "$TMP/two/a.wav"
expect_exit 0 "batch of two a.wav" -- "$BIN/emg-report" -q "$TMP/one/a.wav" "$TMP/two/a.wav" \
  -o "$TMP/names/index.html"
if [ -s "$TMP/names/a.wav.html" ] && [ -s "$TMP/names/a.wav-2.html" ] &&
   grep -q 'href="a.wav-2.html"' "$TMP/names/index.html"; then pass; else
  fail "two recordings of one name: $(ls "$TMP/names")"
fi
cp "$TMP/one/a.wav" "$TMP/over/a.wav.html"
expect_exit 1 "a page over an input" -- "$BIN/emg-report" -q "$TMP/one/a.wav" "$TMP/over/a.wav.html" \
  -o "$TMP/over/index.html"
expect_one_error_line "would write over the input"
if [ "$(ls -A "$TMP/over")" = a.wav.html ]; then pass; else fail "refused batch wrote $(ls -A "$TMP/over")"; fi
expect_exit 3 "batch of corrupt inputs" -- "$BIN/emg-report" -q "$CORRUPT" \
  "$DATA/malformed/S1_EMG_bicepTricep9.wav" -o "$TMP/none/index.html"
if [ -z "$(ls -A "$TMP/none")" ]; then pass; else fail "a batch of bad inputs left $(ls -A "$TMP/none")"; fi
expect_exit 1 "batch to standard output" -- "$BIN/emg-report" "$BURSTS" "$HEALTHY" -o -
expect_exit 4 "batch page unwritable" -- "$BIN/emg-report" "$BURSTS" "$HEALTHY" -o "$TMP/no/dir/i.html"
# Stopped (SIGTERM; a background job of a script ignores SIGINT): no batch page, no
# temporary file left behind (pages finished before stay, whole).
mkdir -p "$TMP/stopped"
"$BIN/emg-report" -q "$BURSTS" "$S8" "$HEALTHY" -o "$TMP/stopped/index.html" 2>/dev/null &
sleep 0.5
kill -TERM $! 2>/dev/null
wait $! 2>/dev/null
sleep 0.3 # the children end on their parent's death (PR_SET_PDEATHSIG)
if [ -e "$TMP/stopped/index.html" ] || ls -A "$TMP/stopped" | grep -q '\.tmp-'; then
  fail "stopped batch left $(ls -A "$TMP/stopped")"
else pass; fi

# Errors.
expect_exit 1 "no output" -- "$BIN/emg-report" "$S1"
expect_exit 1 "standard input" -- "$BIN/emg-report" - -o "$TMP/x.html"
expect_exit 2 "missing input" -- "$BIN/emg-report" "$TMP/nope.wav" -o "$TMP/x.html"
expect_one_error_line nope.wav
expect_exit 3 "corrupt input" -- "$BIN/emg-report" "$DATA/malformed/S3_EMG.wav" -o "$TMP/x.html"
expect_exit 4 "unwritable output" -- "$BIN/emg-report" -q "$S1" -o "$TMP/no/dir/x.html"
if [ ! -e "$TMP/x.html" ] && ! ls -a "$TMP" | grep -q '\.tmp-'; then pass; else
  fail "a failed run left an output or a temporary file"
fi
finish
