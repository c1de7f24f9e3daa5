"""A small PNG decoder (zlib + the five PNG filters) for the rendering tests: no PIL needed.
Handles what specmill writes: 8-bit gray or RGB, not interlaced."""
import struct
import zlib

import numpy as np


def read_png(path):
    """Returns (pixels [h, w] or [h, w, 3] uint8, {tEXt keyword: text})."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, text, head = 8, [], {}, None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0], kind
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            text[key.decode("latin-1")] = value.decode("latin-1")
        pos += 12 + n
    w, h, depth, color, _, _, interlace = head
    assert depth == 8 and color in (0, 2) and interlace == 0, head
    ch = 1 if color == 0 else 3
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(h, 1 + w * ch)
    out = np.zeros((h, w * ch), dtype=np.int32)
    prev = np.zeros(w * ch, dtype=np.int32)
    for y in range(h):
        f, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        else:  # Sub, Average, Paeth depend on the pixel to the left: byte by byte
            cur = np.zeros_like(line)
            for i in range(len(line)):
                a = cur[i - ch] if i >= ch else 0
                b, c = prev[i], (prev[i - ch] if i >= ch else 0)
                if f == 1:
                    p = a
                elif f == 3:
                    p = (a + b) >> 1
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[i] = (line[i] + p) & 255
        out[y] = cur
        prev = cur
    px = out.astype(np.uint8)
    return (px.reshape(h, w) if ch == 1 else px.reshape(h, w, 3)), text


def gray_table():
    """specmill's gray map: entry k = round(1 + 254 k / 255), 0 left for masked pixels."""
    k = np.arange(256)
    return (1 + (254 * k + 127) // 255).astype(np.uint8)


def expected_gray(img, lo, hi):
    """What the gray PNG of a float image (NaN masked) shows with linear limits lo, hi."""
    x = np.clip((img.astype(np.float64) - lo) / (hi - lo), 0, 1)
    idx = np.minimum(255, np.floor(np.nan_to_num(x) * 256)).astype(int)
    out = gray_table()[idx]
    out[np.isnan(img)] = 0
    return out
