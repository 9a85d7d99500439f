#!/usr/bin/env python3
"""Writes the hostile inputs behind BENCHMARKS.md's "Memory on hostile inputs" table.

    python3 benches/hostile_streams.py OUT_DIR

Then, for each file, `/usr/bin/time -v target/release/sendas-lens summary --json FILE` (and
`events --jsonl`) and read "Maximum resident set size". The files are large (about 3 GB in all,
5.5 GB with --sends-only), which is the point: memory must stay bounded by the largest record,
not by the size of the file.
"""
import json
import os
import sys

PURVIEW_HEADER = (
    "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,"
    "AssociatedAdminUnits,AssociatedAdminUnitsNames\n"
)
MB = 1024 * 1024


def garbage(path, size):
    """A Purview header, then one-character rows: every row rejected, none kept."""
    with open(path, "w") as out:
        out.write(PURVIEW_HEADER)
        block = "x\n" * (MB // 2)
        for _ in range(size // MB):
            out.write(block)


def long_records(path, count, operation_is_unique):
    """Records whose id, actor, mailbox and workload are each a unique 2 MB value."""
    pad = "x" * (2 * MB)
    with open(path, "w") as out:
        for i in range(count):
            record = {
                "Id": f"id{i}-{pad}",
                "CreationTime": "2026-11-20T09:00:00",
                "Operation": f"SendAs{i}-{pad}" if operation_is_unique else "SendAs",
                "Workload": f"w{i}-{pad}",
                "UserId": f"u{i}-{pad}",
                "MailboxOwnerUPN": f"m{i}-{pad}",
                "ClientInfoString": "Client=OWA",
            }
            out.write(json.dumps(record) + "\n")


def sends_only(path, count):
    """Many ordinary sends and nothing else: memory grows with the sends kept (a known limit)."""
    subject = "s" * 900
    with open(path, "w") as out:
        for i in range(count):
            record = {
                "Id": f"00000000-0000-0000-0000-{i:012d}",
                "CreationTime": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:00:00",
                "Operation": "SendAs",
                "Workload": "Exchange",
                "UserId": f"user{i % 5000}@contoso.com",
                "MailboxOwnerUPN": f"shared{i % 300}@contoso.com",
                "ClientInfoString": "Client=OWA",
                "Item": {"Subject": subject},
            }
            out.write(json.dumps(record) + "\n")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    garbage(os.path.join(out, "garbage-40mb.csv"), 40 * MB)
    garbage(os.path.join(out, "garbage-200mb.csv"), 200 * MB)
    long_records(os.path.join(out, "long-fields.jsonl"), 100, operation_is_unique=True)
    long_records(os.path.join(out, "long-sends.jsonl"), 100, operation_is_unique=False)
    long_records(os.path.join(out, "long-sends-20.jsonl"), 20, operation_is_unique=False)
    long_records(os.path.join(out, "long-sends-50.jsonl"), 50, operation_is_unique=False)
    if "--sends-only" in sys.argv:
        sends_only(os.path.join(out, "sends-only-1250000.jsonl"), 1_250_000)


if __name__ == "__main__":
    main()
