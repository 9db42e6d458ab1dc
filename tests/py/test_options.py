#!/usr/bin/env python3
"""One option vocabulary (docs/options.md), checked from every tool's --help:

- a long option has one short form (or none) in every tool, and a short option names one
  long option in every tool;
- every option in any --help has one row in the vocabulary table of docs/options.md, and
  every row names an option some tool has;
- every option in a tool's --help is in its man page, and every option of the man page is
  in its --help.
"""
import os
import re
import subprocess
import sys

BIN = os.environ["EMGKIT_BIN"]
SRC = os.environ["EMGKIT_SRC"]
TOOLS = ["emg-info", "emg-convert", "emg-filter", "emg-spectrum", "emg-features",
         "emg-fatigue", "emg-detect", "emg-label", "emg-score", "emg-synth", "emg-plot",
         "emg-report", "emg-dataset"]

# An option line of --help: "  -x, --long ARG  text", "      --long ARG", "  --a X, --b Y",
# or "  (-v, --verbose: what it does here)".
OPTION_LINE = re.compile(r"^\s+\(?(?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)")
MORE_LONGS = re.compile(r",\s+(--[a-z][a-z0-9-]*)")


def help_options(tool):
    """{long: short or None} of the tool's --help."""
    text = subprocess.run([os.path.join(BIN, tool), "--help"], capture_output=True,
                          text=True, check=True).stdout
    options = {}
    for line in text.splitlines():
        m = OPTION_LINE.match(line)
        if not m:
            continue
        options[m.group(2)] = m.group(1)
        for extra in MORE_LONGS.findall(line[:line.find(m.group(2)) + 60]):
            options.setdefault(extra, None)
    return options


def man_options(tool):
    text = open(os.path.join(SRC, "docs", "man", tool + ".1"), encoding="utf-8").read()
    return set("--" + m.replace("\\-", "-")
               for m in re.findall(r"\\-\\-((?:[a-z0-9]|\\-)+)", text))


def vocabulary():
    """Rows of the table in docs/options.md: the first cell names the option(s)."""
    rows = {}
    text = open(os.path.join(SRC, "docs", "options.md"), encoding="utf-8").read()
    for line in text.splitlines():
        if not line.startswith("| `-"):
            continue
        first = line.split("|")[1]
        for name in re.findall(r"`(-[^`\s=]+)", first):
            lines = rows.setdefault(name, [])
            if line not in lines:
                lines.append(line)
    return rows


def main():
    failures = []
    short_of, long_of = {}, {}
    seen = set()
    vocab = vocabulary()
    for tool in TOOLS:
        opts = help_options(tool)
        if not opts:
            failures.append(f"{tool}: no options found in --help")
        for long, short in opts.items():
            seen.add(long)
            if long in short_of and short_of[long][0] != short:
                failures.append(f"{long}: short {short} in {tool}, {short_of[long][0]} in "
                                f"{short_of[long][1]}")
            short_of.setdefault(long, (short, tool))
            if short:
                if short in long_of and long_of[short][0] != long:
                    failures.append(f"{short}: {long} in {tool}, {long_of[short][0]} in "
                                    f"{long_of[short][1]}")
                long_of.setdefault(short, (long, tool))
            if long not in vocab:
                failures.append(f"{tool}: {long} is not in docs/options.md")
        man = man_options(tool)
        for long in sorted(set(opts) - man):
            failures.append(f"{tool}: {long} is in --help but not in docs/man/{tool}.1")
        for long in sorted(man - set(opts)):
            failures.append(f"{tool}: {long} is in docs/man/{tool}.1 but not in --help")
    for name, lines in vocab.items():
        if name.startswith("--") and name not in seen:
            failures.append(f"docs/options.md: {name} is no tool's option")
        if len(lines) > 1:
            failures.append(f"docs/options.md: {name} has {len(lines)} rows (one meaning each)")
    for f in failures:
        print("FAIL:", f)
    checks = len(seen) * 3 + len(vocab)
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
