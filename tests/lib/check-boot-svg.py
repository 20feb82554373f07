#!/usr/bin/env python3
"""Check a `keelctl boot-time --svg` chart, for tests/integration/init-bootstat.sh
and tests-qemu/scenarios/boottime.

usage: check-boot-svg.py SVG PNG NAME...

1. SVG is well-formed XML (xml.etree), an <svg> with a text label and a
   <title>d bar for every NAME;
2. when Chromium is installed (deps/packages.sh chart), it renders SVG
   headless into PNG (1200 wide), and the screenshot's pixels hold the
   create, start and ready colours: the chart is drawn, not blank.
Prints "# ..." notes; exit 0 when all checks pass, 1 on a failure, 77 when
only the rendering was skipped (no Chromium), after the XML checks passed.
"""
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib

NS = "{http://www.w3.org/2000/svg}"
PHASE_COLOURS = {"create": "4a90d9", "start": "27ae60", "ready": "e67e22"}


def check_xml(path, names):
    root = ET.parse(path).getroot()
    assert root.tag == NS + "svg", root.tag
    texts = [t.text for t in root.iter(NS + "text")]
    titles = [t.text or "" for t in root.iter(NS + "title")]
    for name in names:
        assert name in texts, ("no label", name)
        assert any(t.startswith(name + ": ") for t in titles), ("no bar", name)
    print("# SVG: %d bars, %d labels, well-formed" % (len(titles), len(texts)))


def png_colours(path):
    """Every (r, g, b) in an 8-bit RGB or RGBA PNG, with zlib only."""
    d = open(path, "rb").read()
    assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w, h, ct = 8, b"", 0, 0, 0
    while pos < len(d):
        n, typ = struct.unpack(">I4s", d[pos:pos + 8])
        body = d[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            w, h, depth, ct = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ct in (2, 6), (depth, ct)
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    bpp = 4 if ct == 6 else 3
    stride = w * bpp + 1
    prev = bytearray(w * bpp)
    seen = set()
    for y in range(h):
        f = raw[y * stride]
        line = bytearray(raw[y * stride + 1:(y + 1) * stride])
        for i in range(len(line)):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        for x in range(0, w * bpp, bpp):
            seen.add(bytes(line[x:x + 3]).hex())
    return w, h, seen


def render(svg, png):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("# SKIP rendering: no chromium (deps/packages.sh chart installs it)")
        return False
    if os.path.exists(png):
        os.unlink(png)
    # --no-sandbox: the tests run as root
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--screenshot=" + png, "--window-size=1200,700",
                    "file://" + os.path.abspath(svg)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)
    assert os.path.getsize(png) > 0, "chromium wrote no screenshot"
    w, h, seen = png_colours(png)
    missing = [p for p, c in PHASE_COLOURS.items() if c not in seen]
    assert not missing, ("colours not in the screenshot", missing)
    print("# Chromium: %dx%d screenshot %s, %d colours, the create/start/ready bars drawn"
          % (w, h, png, len(seen)))
    return True


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    svg, png, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        check_xml(svg, names)
        rendered = render(svg, png)
    except (AssertionError, ET.ParseError, OSError, subprocess.SubprocessError) as e:
        print("# FAILED: %r" % (e,))
        return 1
    return 0 if rendered else 77


if __name__ == "__main__":
    sys.exit(main())
