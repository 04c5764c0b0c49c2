#!/usr/bin/env python3
"""Writes <fixture>.full_log.txt next to every fixtures/**/*.jsonl: the full_log
Wazuh's Python docker-listener would log for each line, made by Python's own
json module (exact integers, key order kept, json.dumps defaults). These are
the expected values of the fixture tests, made outside the code under test."""
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
for fixture in sorted(root.glob("**/*.jsonl")):
    lines = [l for l in fixture.read_text().splitlines() if l.strip()]
    out = [json.dumps({"integration": "docker", "docker": json.loads(l)}) for l in lines]
    fixture.with_suffix(".full_log.txt").write_text("\n".join(out) + "\n")
    print(f"{fixture.relative_to(root)}: {len(out)}")
