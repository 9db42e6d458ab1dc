"""test_docs.py: every example of docs/python.md runs as written.

The ```python blocks run in order in one namespace from the top of the
repository (their paths are relative to it), as a reader would paste them;
each ends in assertions of its own where it shows a result."""
import os
import re

SRC = os.environ["EMGKIT_SRC"]


def test_python_md_examples_run(capsys):
    text = open(os.path.join(SRC, "docs", "python.md"), encoding="utf-8").read()
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert len(blocks) >= 4
    here = os.getcwd()
    os.chdir(SRC)
    try:
        namespace = {}
        for k, code in enumerate(blocks):
            exec(compile(code, "docs/python.md block %d" % (k + 1), "exec"), namespace)
    finally:
        os.chdir(here)
    out = capsys.readouterr().out
    assert "MDF -7.67 Hz/min" in out
