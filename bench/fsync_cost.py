#!/usr/bin/env python3
"""What one write + fdatasync costs on this disk, for three kinds of file: appending (the file
grows, as Redis's AOF does), writing into fallocated space (as Tally's log segments are
allocated), and overwriting blocks already written (pre-zeroed). Under appendfsync always a
server pays one of these per group of commands.

  bench/fsync_cost.py [--dir .] [--writes 2000] [--bytes 1500]
"""
import argparse
import os
import tempfile
import time


def run(path, kind, writes, size):
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o644)
    try:
        if kind == "fallocated":
            os.posix_fallocate(fd, 0, 64 << 20)
            os.fsync(fd)
        elif kind == "pre-zeroed":
            zeros = bytes(1 << 16)
            for _ in range(1024):
                os.write(fd, zeros)
            os.fsync(fd)
            os.lseek(fd, 0, os.SEEK_SET)
        data = b"x" * size
        start = time.perf_counter()
        for _ in range(writes):
            os.write(fd, data)
            os.fdatasync(fd)
        return (time.perf_counter() - start) / writes * 1e6
    finally:
        os.close(fd)
        os.unlink(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=os.environ.get("TMPDIR", "/tmp"))
    ap.add_argument("--writes", type=int, default=2000)
    ap.add_argument("--bytes", type=int, default=1500)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        print(f"| file | us per {args.bytes}-byte write + fdatasync ({args.writes} each, two runs) |")
        print("|---|---|")
        for kind in ("append", "fallocated", "pre-zeroed"):
            a = run(os.path.join(d, "f"), kind, args.writes, args.bytes)
            b = run(os.path.join(d, "f"), kind, args.writes, args.bytes)
            print(f"| {kind} | {a:.1f}, {b:.1f} |")


if __name__ == "__main__":
    main()
