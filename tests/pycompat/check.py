#!/usr/bin/env python3
"""Compares pgha's Python-compatibility module with this python3, byte for byte.

Reads tests/pycompat/pycompat_cases output on stdin; for every line recomputes the value with
Python (repr(float), json.dumps) and reports each difference. Exit 0 only when there are none
and at least --min values of each kind were checked.
"""
import argparse
import json
import struct
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--min", type=int, default=100000)
    args = parser.parse_args()
    counts = {"F": 0, "J": 0}
    differences = []
    for line in sys.stdin.buffer:
        line = line.rstrip(b"\n").decode("ascii")
        kind, rest = line[0], line[2:]
        if kind == "F":
            bits, ours = rest.split(" ", 1)
            value = struct.unpack(">d", bytes.fromhex(bits))[0]
            expected = repr(value)
        elif kind == "J":
            source, ours = rest.split("\t", 1)
            expected = json.dumps(json.loads(source))
        else:
            print("unexpected line: %r" % line)
            return 1
        counts[kind] += 1
        if ours != expected:
            differences.append((kind, rest[:200], ours[:200], expected[:200]))
    for kind, source, ours, expected in differences[:20]:
        print("%s %s\n  pgha:   %s\n  python: %s" % (kind, source, ours, expected))
    print("pycompat: %d float reprs, %d json.dumps documents, %d differences (python %s)"
          % (counts["F"], counts["J"], len(differences), sys.version.split()[0]))
    if differences:
        return 1
    if min(counts.values()) < args.min:
        print("too few values checked (at least %d of each wanted)" % args.min)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
