#!/usr/bin/python3
"""Dumps an rpm sqlite database as JSON, for tests that compare two of them.

usage: rpmdb-dump.py DB [--no-times]

{"packages": [{"hnum", "name", "blob"}], "tables": {name: [[key hex, hnum, idx], ...]},
 "schema": [sql, ...], "header": {"write_version", "read_version", "page_size"}}

Rows are in rowid order; blobs and keys in hex. With --no-times, what a wall clock sets
(INSTALLTIME and INSTALLTID in each blob, the Installtid table's keys) is zeroed, so that
two installs of the same packages at different moments compare equal.
Standard library only (the stdlib sqlite3 module), read-only.
"""
import json
import sqlite3
import struct
import sys

INSTALLTIME, INSTALLTID, NAME = 1008, 1128, 1000


def zero_times(blob):
    b = bytearray(blob)
    il, _dl = struct.unpack_from(">II", b, 0)
    data = 8 + 16 * il
    for i in range(il):
        tag, typ, off, cnt = struct.unpack_from(">IIiI", b, 8 + 16 * i)
        if tag in (INSTALLTIME, INSTALLTID) and typ == 4:
            b[data + off:data + off + 4 * cnt] = bytes(4 * cnt)
    return bytes(b)


def name_of(blob):
    il, _dl = struct.unpack_from(">II", blob, 0)
    data = 8 + 16 * il
    for i in range(il):
        tag, typ, off, _cnt = struct.unpack_from(">IIiI", blob, 8 + 16 * i)
        if tag == NAME:
            end = blob.index(b"\0", data + off)
            return blob[data + off:end].decode("utf-8", "replace")
    return None


def main():
    db, no_times = sys.argv[1], "--no-times" in sys.argv[2:]
    with open(db, "rb") as f:
        head = f.read(100)
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    # TEXT keys are the headers' bytes: never decoded.
    con.text_factory = bytes
    out = {
        "header": {"write_version": head[18], "read_version": head[19], "page_size": struct.unpack_from(">H", head, 16)[0]},
        "schema": [r[0].decode() for r in con.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid")],
        "packages": [],
        "tables": {},
    }
    for hnum, blob in con.execute("SELECT hnum, blob FROM Packages ORDER BY rowid"):
        out["packages"].append({"hnum": hnum, "name": name_of(blob), "blob": (zero_times(blob) if no_times else blob).hex()})
    tables = [r[0].decode() for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('Packages', 'sqlite_sequence', 'sqlite_stat1') ORDER BY rowid")]
    for t in tables:
        rows = []
        for key, hnum, idx in con.execute("SELECT key, hnum, idx FROM '%s' ORDER BY rowid" % t.replace("'", "''")):
            k = bytes(key)
            if t == "Installtid" and no_times:
                k = bytes(len(k))
            rows.append([k.hex(), hnum, idx])
        out["tables"][t] = rows
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
