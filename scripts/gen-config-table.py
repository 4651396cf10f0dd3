#!/usr/bin/env python3
"""Regenerate the configuration table of README.md from src/config/explain.rs (between the
<!-- keys:begin --> and <!-- keys:end --> markers). tests/readme.rs checks that every key is there."""
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
src = (root / "src/config/explain.rs").read_text()
rows = re.findall(r'\(\s*"((?:[^"\\]|\\.)*)",\s*"((?:[^"\\]|\\.)*)",\s*"((?:[^"\\]|\\.)*)",\s*"((?:[^"\\]|\\.)*)"\s*\)', src)
un = lambda x: x.replace('\\"', '"').replace("|", "\\|")
table = ["| key | type | default | meaning |", "|---|---|---|---|"]
table += [f"| `{un(k)}` | {un(t)} | {un(d)} | {un(m)} |" for k, t, d, m in rows]
readme = (root / "README.md").read_text()
begin, end = "<!-- keys:begin -->", "<!-- keys:end -->"
head, rest = readme.split(begin, 1)
_, tail = rest.split(end, 1)
(root / "README.md").write_text(head + begin + "\n" + "\n".join(table) + "\n" + end + tail)
print(f"{len(rows)} keys")
