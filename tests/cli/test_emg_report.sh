#!/usr/bin/env bash
# emg-report: the HTML page of two real recordings, opened in headless Chromium
# (Debian chromium, scripts/setup.sh): a screenshot shows the figures, the page's
# own layout check (run by the browser after loading: every figure and table has
# a size on the page) passes, and the browser logs nothing on its console.  The
# check is shown to fail on a page whose figure is hidden.  The page loads nothing
# from a network.  Errors as the standard says.
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

# Errors.
expect_exit 1 "no output" -- "$BIN/emg-report" "$S1"
expect_exit 1 "standard input" -- "$BIN/emg-report" - -o "$TMP/x.html"
expect_exit 1 "two inputs" -- "$BIN/emg-report" "$S1" "$FATIGUE" -o "$TMP/x.html"
expect_exit 2 "missing input" -- "$BIN/emg-report" "$TMP/nope.wav" -o "$TMP/x.html"
expect_one_error_line nope.wav
expect_exit 3 "corrupt input" -- "$BIN/emg-report" "$DATA/malformed/S3_EMG.wav" -o "$TMP/x.html"
expect_exit 4 "unwritable output" -- "$BIN/emg-report" -q "$S1" -o "$TMP/no/dir/x.html"
if [ ! -e "$TMP/x.html" ] && ! ls -a "$TMP" | grep -q '\.tmp-'; then pass; else
  fail "a failed run left an output or a temporary file"
fi
finish
