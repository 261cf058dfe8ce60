#!/usr/bin/env python3
"""Compares pgha's Python-compatibility module with this python3, byte for byte.

Reads tests/pycompat/pycompat_cases output on stdin (the line formats are described there);
for every line recomputes the value with Python (repr, json.dumps, PyYAML's resolver,
SafeConstructor and safe_dump, datetime.isoformat, dateutil.parser.parse) and reports each
difference. Exit 0 only when there are none and at least --min values of each kind were
checked.
"""
import argparse
import datetime
import json
import struct
import sys
import warnings

import dateutil.parser
import yaml

INT64 = (-(1 << 63), (1 << 63) - 1)
DATEUTIL_DEFAULT = datetime.datetime(2026, 12, 7)
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def yaml_scalar(text):
    """(tag, value) as check lines write them: see pycompat_cases.cc's YamlValue."""
    loader = yaml.SafeLoader("")
    tag = loader.resolve(yaml.ScalarNode, text, (True, False))
    try:
        value = loader.construct_object(yaml.ScalarNode(tag, text))
    except Exception:  # what the constructor raises is the error we must also report
        return tag.rsplit(":", 1)[1], "ERR"
    finally:
        loader.dispose()
    if isinstance(value, (datetime.date, datetime.datetime)):
        shown = value.isoformat()
    elif isinstance(value, str):
        shown = "=" if value == text else "str?"
    elif isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]:
        shown = "BIG"
    else:
        shown = repr(value)
    return tag.rsplit(":", 1)[1], shown


def dateutil_parse(text):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dateutil.parser.parse(text, default=DATEUTIL_DEFAULT).isoformat()
    except (ValueError, OverflowError):
        return "ERR"


def expected_for(kind, fields):
    """(what pgha wrote, what Python makes of the same input)."""
    if kind == "F":
        bits, ours = fields[0].split(" ", 1)
        return ours, repr(struct.unpack(">d", bytes.fromhex(bits))[0])
    if kind == "J":
        source, ours = fields
        return ours, json.dumps(json.loads(source))
    if kind == "R":
        text, ours = fields
        return bytes.fromhex(ours).decode("utf-8"), repr(bytes.fromhex(text).decode("utf-8"))
    if kind == "Y":
        text, tag, value = fields
        return "%s %s" % (tag, value), "%s %s" % yaml_scalar(bytes.fromhex(text).decode("utf-8"))
    if kind == "D":
        flow, width, source, ours = fields
        python = yaml.safe_dump(json.loads(source), default_flow_style=flow == "1",
                                allow_unicode=True, width=int(width))
        return bytes.fromhex(ours).decode("utf-8"), python
    if kind == "I":
        micros, offset, sep, ours = fields
        zone = datetime.timezone(datetime.timedelta(seconds=int(offset)))
        moment = EPOCH + datetime.timedelta(microseconds=int(micros))
        return ours, moment.astimezone(zone).isoformat(sep)
    if kind == "P":
        text, ours = fields
        return ours, dateutil_parse(bytes.fromhex(text).decode("utf-8"))
    if kind == "U":
        data, ours = fields
        return ours, bytes.fromhex(data).decode("utf-8", "replace").encode("utf-8").hex()
    raise ValueError("unexpected kind %r" % kind)


NAMES = {"F": "float reprs", "J": "json.dumps documents", "R": "string reprs",
         "Y": "YAML scalars", "D": "safe_dump documents", "I": "isoformats",
         "P": "dateutil parses", "U": "UTF-8 decodes"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--min", type=int, default=100000)
    args = parser.parse_args()
    counts = dict((kind, 0) for kind in NAMES)
    differences = []
    for line in sys.stdin.buffer:
        line = line.rstrip(b"\n").decode("ascii")
        kind = line[0]
        fields = line[2:].split("\t") if kind != "F" else [line[2:]]
        if kind == "J":
            fields = line[2:].split("\t", 1)
        try:
            ours, expected = expected_for(kind, fields)
        except ValueError as e:
            print("unreadable line: %r (%s)" % (line[:200], e))
            return 1
        counts[kind] += 1
        if ours != expected:
            differences.append((kind, line[2:300], ours, expected))
    for kind, source, ours, expected in differences[:30]:
        print("%s %s\n  pgha:   %r\n  python: %r" % (kind, source, ours[:300], expected[:300]))
    print("pycompat: %s; %d differences (python %s, PyYAML %s, dateutil %s)"
          % (", ".join("%d %s" % (counts[k], NAMES[k]) for k in NAMES), len(differences),
             sys.version.split()[0], yaml.__version__, dateutil.__version__))
    if differences:
        return 1
    if min(counts.values()) < args.min:
        print("too few values checked (at least %d of each wanted)" % args.min)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
