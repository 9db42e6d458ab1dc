#!/usr/bin/env python3
"""Checks of emg-plot's images, called by tests/cli/test_emg_plot.sh:

  plot_check.py png W H FILE...         PNGs of W x H pixels, with drawing on at least
                                        1% of each and in three quarters of its width
  plot_check.py svg-text FILE...        in each SVG no two text boxes overlap, and each
                                        lies on the page
  plot_check.py shading FILE T0 T1 RGB PANEL FROM TO [PANEL FROM TO]...
                                        in the signal PNG whose time axis runs T0-T1 s,
                                        panel PANEL (0 = top) is shaded in colour RGB
                                        (hex, the label's palette colour at emg-plot's
                                        opacity) over FROM-TO s and nowhere else
Exit 0 when the check holds, 1 with a message for each file where it does not.

Text boxes: PLplot's svg driver writes each string as a <text> element inside
groups with transforms; a box is the string's advance (0.58 em per character:
DejaVu Sans letters and digits advance 0.55-0.65 em) by 0.72 em above the
baseline and 0.2 em below, mapped through every enclosing transform.  A box
may touch another by 0.5 px (antialiasing), no more.
"""
import re
import sys
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image

SHADE_ALPHA = 0.28  # plot_signal.c: shade()


class CheckFailed(Exception):
    pass


def fail(message):
    raise CheckFailed(message)


def check_png(path, width, height):
    im = Image.open(path).convert("RGB")
    if im.size != (width, height):
        fail(f"{path}: {im.size[0]}x{im.size[1]}, expected {width}x{height}")
    ink = np.asarray(im, dtype=int).sum(axis=2) < 720
    drawn = [int(q.sum()) for q in np.array_split(ink, 4, axis=1)]
    total = sum(drawn) / (width * height)
    if total < 0.01 or sorted(drawn)[1] == 0:
        fail(f"{path}: drawing on {100 * total:.1f}% of the image, per quarter {drawn}")
    print(f"{path}: {width}x{height}, drawing on {100 * total:.1f}%")


def matrix(text):
    m = re.match(r"matrix\(([^)]*)\)", text or "")
    if not m:
        return (1, 0, 0, 1, 0, 0)
    return tuple(float(v) for v in m.group(1).replace(",", " ").split())


def compose(p, q):
    a, b, c, d, e, f = p
    A, B, C, D, E, F = q
    return (a * A + c * B, b * A + d * B, a * C + c * D, b * C + d * D, a * E + c * F + e,
            b * E + d * F + f)


def apply(m, x, y):
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def text_boxes(path):
    boxes = []

    def walk(node, m):
        tag = node.tag.split("}")[-1]
        m = compose(m, matrix(node.get("transform")))
        if tag == "text":
            content = "".join(node.itertext())
            if not content.strip():
                return
            size = float(node.get("font-size", "10"))
            width = 0.58 * size * len(content)
            x0 = float(node.get("x", "0"))
            y0 = float(node.get("y", "0"))
            anchor = node.get("text-anchor", "start")
            x0 -= {"start": 0, "middle": width / 2, "end": width}[anchor]
            # Text local space has y down (the driver's matrices flip it back).
            corners = [apply(m, x0 + dx, y0 + dy) for dx in (0, width)
                       for dy in (-0.72 * size, 0.2 * size)]
            xs = [p[0] for p in corners]
            ys = [p[1] for p in corners]
            boxes.append((min(xs), min(ys), max(xs), max(ys), content))
            return
        for child in node:
            walk(child, m)

    walk(ET.parse(path).getroot(), (1, 0, 0, 1, 0, 0))
    return boxes


def check_svg_text(path):
    boxes = text_boxes(path)
    if not boxes:
        fail(f"{path}: no text")
    slack = 0.5
    view = [float(v) for v in ET.parse(path).getroot().get("viewBox").split()]
    for a in boxes:
        if a[0] < view[0] - slack or a[1] < view[1] - slack or a[2] > view[2] + slack \
                or a[3] > view[3] + slack:
            fail(f"{path}: text '{a[4]}' {tuple(round(v) for v in a[:4])} runs off the page")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if (a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack
                    and b[1] < a[3] - slack):
                fail(f"{path}: text '{a[4]}' {tuple(round(v) for v in a[:4])} overlaps "
                     f"'{b[4]}' {tuple(round(v) for v in b[:4])}")
    print(f"{path}: {len(boxes)} text boxes, none overlapping")


def frame(rgb):
    """Left and right columns of the plot frames and the rows of their horizontal lines."""
    h, w = rgb.shape[:2]
    # The frame: grey to black (antialiased over two pixels), not the trace (#1f3b73).
    dark = (rgb.max(axis=2) < 170) & (rgb.max(axis=2) - rgb.min(axis=2) < 20)
    cols = dark.sum(axis=0)
    tall = [x for x in range(w) if cols[x] > 0.4 * h]
    if len(tall) < 2:
        fail("no plot frame found")
    left, right = tall[0], tall[-1]
    across = dark[:, left:right + 1].sum(axis=1)
    rows = [y for y in range(h) if across[y] > 0.9 * (right - left)]
    lines = []  # merge adjacent rows of one thick line
    for y in rows:
        if lines and y - lines[-1][-1] <= 2:
            lines[-1].append(y)
        else:
            lines.append([y])
    lines = [sum(l) / len(l) for l in lines]
    panels = [(lines[i], lines[i + 1]) for i in range(0, len(lines) - 1, 2)]
    return left, right, panels


def shaded_fraction(pixels, x, top, bottom, colour):
    """Of the background pixels of column x in a panel (white or shaded: not
    the trace, grid or text), the share in the shade's colour; None when the
    trace covers nearly all of the column."""
    want = np.array([255 - SHADE_ALPHA * (255 - c) for c in colour])
    column = pixels[int(top) + 3:int(bottom) - 2, x, :]
    shade = int((np.abs(column - want) <= 14).all(axis=1).sum())
    white = int((column.min(axis=1) >= 245).sum())
    return shade / (shade + white) if shade + white >= 5 else None


def check_shading(path, t0, t1, rgb_hex, spans):
    pixels = np.asarray(Image.open(path).convert("RGB"), dtype=int)
    rgb = [int(rgb_hex[i:i + 2], 16) for i in (0, 2, 4)]
    left, right, panels = frame(pixels)
    to_x = lambda t: int(round(left + (t - t0) / (t1 - t0) * (right - left)))
    for p, (top, bottom) in enumerate(panels):
        mine = [(a, b) for (q, a, b) in spans if q == p]
        for x in range(left + 3, right - 2, 3):
            t = t0 + (x - left) / (right - left) * (t1 - t0)
            inside = any(a + 0.01 * (t1 - t0) < t < b - 0.01 * (t1 - t0) for a, b in mine)
            outside = all(t < a - 0.01 * (t1 - t0) or t > b + 0.01 * (t1 - t0) for a, b in mine)
            frac = shaded_fraction(pixels, x, top, bottom, rgb)
            if frac is None:
                continue
            if inside and frac < 0.9:
                fail(f"{path}: panel {p} at {t:.2f} s: only {100 * frac:.0f}% shaded")
            if outside and frac > 0.02:
                fail(f"{path}: panel {p} at {t:.2f} s: {100 * frac:.0f}% shaded, no event there")
    print(f"{path}: {len(panels)} panels, shading only over the events")


def run(check, *args):
    try:
        check(*args)
        return 0
    except CheckFailed as failure:
        print("FAIL:", failure)
        return 1


def main(argv):
    if len(argv) >= 4 and argv[0] == "png":
        width, height = int(argv[1]), int(argv[2])
        return max(run(check_png, path, width, height) for path in argv[3:])
    if len(argv) >= 2 and argv[0] == "svg-text":
        return max(run(check_svg_text, path) for path in argv[1:])
    if len(argv) >= 8 and argv[0] == "shading" and (len(argv) - 5) % 3 == 0:
        spans = [(int(argv[i]), float(argv[i + 1]), float(argv[i + 2]))
                 for i in range(5, len(argv), 3)]
        return run(check_shading, argv[1], float(argv[2]), float(argv[3]), argv[4], spans)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
