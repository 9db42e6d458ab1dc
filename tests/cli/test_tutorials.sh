#!/usr/bin/env bash
# The tutorials in docs/tutorials/ run as written: every ```sh block is run in order
# (bash -e, in one scratch folder where datasets/ is the repository's, the tools on
# PATH); a ```text block right after a ```sh block shows its output, and each of its
# lines must be a line of what the commands printed (standard output and error, runs
# of blanks taken as one); every decimal number the prose quotes must be in some
# command's output; and every figure the page shows (../images/TUTORIAL/NAME.png) must
# have been drawn by its commands as figures/NAME.png (a PNG with something drawn).
# EMGKIT_TUTORIAL_IMAGES=DIR copies the figures to DIR/TUTORIAL/ (how the committed
# ones in docs/images/ are made: EMGKIT_TUTORIAL_IMAGES=$PWD/docs/images ctest -R tutorials).
. "$(dirname "$0")/lib.sh"
SRC=${EMGKIT_SRC:?}
PY=/usr/bin/python3

for page in "$SRC"/docs/tutorials/*.md; do
  name=$(basename "$page" .md)
  work=$TMP/$name
  mkdir -p "$work"
  ln -s "$DATA" "$work/datasets"
  if PATH="$BIN:$PATH" "$PY" - "$page" "$work" "${EMGKIT_TUTORIAL_IMAGES:-}" >"$TMP/$name.log" 2>&1 <<'PYEOF'
import os, re, shutil, subprocess, sys
from PIL import Image

page, work, images = sys.argv[1], sys.argv[2], sys.argv[3]
name = os.path.splitext(os.path.basename(page))[0]
text = open(page, encoding="utf-8").read()
blocks = list(re.finditer(r"^```(\w*)\n(.*?)^```\n", text, re.S | re.M))
failures = []
outputs = []
norm = lambda s: " ".join(s.split())
for i, b in enumerate(blocks):
    if b.group(1) != "sh":
        continue
    run = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", b.group(2)], cwd=work,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = run.stdout
    outputs.append(out)
    first = b.group(2).splitlines()[0]
    if run.returncode != 0:
        failures.append(f"block '{first}' exited {run.returncode}:\n{out[-2000:]}")
        continue
    shown = blocks[i + 1] if i + 1 < len(blocks) else None
    if shown and shown.group(1) == "text" and text[b.end():shown.start()].strip() == "":
        lines = {norm(l) for l in out.splitlines()}
        for line in shown.group(2).splitlines():
            if line.strip() and norm(line) not in lines:
                failures.append(f"block '{first}': shown line not in its output: {line!r}")
# The prose's decimal numbers (outside code) come from the outputs.
prose = re.sub(r"^```.*?^```\n", "", text, flags=re.S | re.M)
prose = re.sub(r"`[^`]*`|\]\([^)]*\)", "", prose)
everything = "\n".join(outputs)
quoted = re.findall(r"(?<![\w.])\d+\.\d+(?:e[-+]?\d+)?", prose)
for number in quoted:
    if not re.search(r"(?<![\d.])" + re.escape(number) + r"(?![\d])", everything):
        failures.append(f"the prose quotes {number}, which no command printed")
# The figures shown were drawn by the commands.
shown = re.findall(r"!\[[^]]*\]\(\.\./images/" + re.escape(name) + r"/([^)]+\.png)\)", text)
for fig in shown:
    path = os.path.join(work, "figures", fig)
    if not os.path.exists(path):
        failures.append(f"figure {fig} is shown but no command drew figures/{fig}")
        continue
    im = Image.open(path).convert("L")
    w, h = im.size
    drawn = sum(1 for v in im.getdata() if v < 200)
    if w < 400 or h < 300 or drawn < 0.01 * w * h:
        failures.append(f"figure {fig}: {w}x{h}, {drawn} drawn pixels")
    if images:
        os.makedirs(os.path.join(images, name), exist_ok=True)
        shutil.copy(path, os.path.join(images, name, fig))
print(f"{name}: {len(outputs)} command blocks, {len(quoted)} numbers quoted, "
      f"{len(shown)} figures")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures or not outputs or not shown else 0)
PYEOF
  then pass; else fail "tutorial $name: $(cat "$TMP/$name.log")"; fi
done
finish
