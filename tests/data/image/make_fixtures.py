#!/usr/bin/env python3
"""Writes the image fixtures of tests/test_image.cpp by hand (standard library only, no image codec), so that
decoding them is checked against values known independently of stb_image:
  rgb3x2.png   3x2 RGB, 8-bit, the pixels of RGB below
  grey2x2.png  2x2 greyscale, 8-bit, the values of GREY below (expanded to R = G = B by load_image)
  blocks.jpg   16x8 baseline JPEG, 4:4:4 YCbCr, all quantisers 1, two flat 8x8 blocks: BLOCKS[0] left,
               BLOCKS[1] right (lossy only through the YCbCr rounding: within 2 of the RGB values)
usage: python3 make_fixtures.py [output dir, default: this file's dir]"""
import os
import struct
import sys
import zlib

RGB = [[(255, 0, 0), (0, 255, 0), (0, 0, 255)], [(10, 20, 30), (128, 64, 32), (255, 255, 255)]]
GREY = [[0, 77], [200, 255]]
BLOCKS = [(200, 40, 40), (30, 90, 220)]


def png(width, height, colour_type, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(row) for row in rows)  # filter type 0 (None) on every row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def jpeg_flat_blocks(colours):
    """Baseline JPEG of 8x8 flat blocks side by side. A flat block's only non-zero DCT coefficient is
    DC = 8 * (sample - 128); with quantiser 1 it is stored as is. Huffman tables: DC categories 0..11 get the
    4-bit codes 0000..1011; the AC table holds only EOB, code '0'."""

    def ycbcr(r, g, b):  # JFIF
        return (0.299 * r + 0.587 * g + 0.114 * b,
                128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
                128 + 0.5 * r - 0.418688 * g - 0.081312 * b)

    def segment(marker, payload):
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    bits = []

    def put(value, n):
        bits.extend((value >> (n - 1 - i)) & 1 for i in range(n))

    pred = [0, 0, 0]
    for colour in colours:
        for comp, sample in enumerate(ycbcr(*colour)):
            dc = round(8 * (sample - 128))
            diff, pred[comp] = dc - pred[comp], dc
            size = abs(diff).bit_length()
            put(size, 4)
            if size:
                put(diff if diff > 0 else diff + (1 << size) - 1, size)
            put(0, 1)  # EOB
    bits.extend([1] * (-len(bits) % 8))
    scan = bytearray()
    for i in range(0, len(bits), 8):
        byte = int("".join(map(str, bits[i:i + 8])), 2)
        scan.append(byte)
        if byte == 0xFF:
            scan.append(0x00)  # byte stuffing
    width = 8 * len(colours)
    out = b"\xff\xd8"
    out += segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    out += segment(0xDB, b"\x00" + b"\x01" * 64)
    out += segment(0xC0, struct.pack(">BHHB", 8, 8, width, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00")
    dc_table = b"\x00" + bytes([0, 0, 0, 12] + [0] * 12) + bytes(range(12))
    ac_table = b"\x10" + bytes([1] + [0] * 15) + b"\x00"
    out += segment(0xC4, dc_table + ac_table)
    out += segment(0xDA, b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00")
    return out + bytes(scan) + b"\xff\xd9"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    files = {
        "rgb3x2.png": png(3, 2, 2, [[v for px in row for v in px] for row in RGB]),
        "grey2x2.png": png(2, 2, 0, GREY),
        "blocks.jpg": jpeg_flat_blocks(BLOCKS),
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
