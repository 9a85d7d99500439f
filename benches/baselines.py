#!/usr/bin/env python3
"""What an analyst would run instead of SendAs Lens, timed on the same export.

Each baseline answers the same question the product's first finding does: how many SendAs
events are there, and how many of them are connector cards (ClientInfoString contains
ConnectorWorkProvider)? It prints one line per tool: `name seconds sendas connector`, the
median of RUNS runs. Usage: baselines.py FILE.csv [RUNS]
"""
import csv
import json
import statistics
import sys
import time

csv.field_size_limit(sys.maxsize)


def python_csv_json(path):
    send_as = connector = 0
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            data = json.loads(row["AuditData"])
            if data.get("Operation") == "SendAs":
                send_as += 1
                if "connectorworkprovider" in str(data.get("ClientInfoString", "")).lower():
                    connector += 1
    return send_as, connector


def pandas_json_normalize(path):
    import pandas as pd

    frame = pd.read_csv(path, dtype=str)
    audit = pd.json_normalize(frame["AuditData"].map(json.loads).tolist())
    send_as = audit[audit["Operation"] == "SendAs"]
    connector = send_as["ClientInfoString"].fillna("").str.lower().str.contains("connectorworkprovider")
    return len(send_as), int(connector.sum())


def duckdb_sql(path):
    import duckdb

    row = duckdb.sql(
        f"""
        SELECT count(*) FILTER (WHERE op = 'SendAs'),
               count(*) FILTER (WHERE op = 'SendAs' AND lower(client) LIKE '%connectorworkprovider%')
        FROM (
            SELECT json_extract_string(AuditData, '$.Operation') AS op,
                   json_extract_string(AuditData, '$.ClientInfoString') AS client
            FROM read_csv('{path}', header = true, all_varchar = true, max_line_size = 100000000)
        )
        """
    ).fetchall()[0]
    return int(row[0]), int(row[1])


def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    for name, fn in [("python-csv-json", python_csv_json), ("pandas", pandas_json_normalize), ("duckdb", duckdb_sql)]:
        times = []
        answer = None
        for _ in range(runs):
            start = time.perf_counter()
            answer = fn(path)
            times.append(time.perf_counter() - start)
        print(f"{name} {statistics.median(times):.3f} {answer[0]} {answer[1]}", flush=True)


if __name__ == "__main__":
    main()
