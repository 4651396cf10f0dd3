#!/usr/bin/env python3
"""Regenerate the configuration table of README.md (between the <!-- keys:begin --> and
<!-- keys:end --> markers) from the typed config structs: the table is the output of
`simrun check --explain --markdown` (built here with cargo). tests/readme.rs checks that the
README holds exactly that table."""
import pathlib
import subprocess

root = pathlib.Path(__file__).resolve().parent.parent
table = subprocess.run(
    ["cargo", "run", "--release", "--quiet", "--bin", "simrun", "--", "check", "--explain", "--markdown"],
    cwd=root, check=True, capture_output=True, text=True,
).stdout
readme = (root / "README.md").read_text()
begin, end = "<!-- keys:begin -->", "<!-- keys:end -->"
head, rest = readme.split(begin, 1)
_, tail = rest.split(end, 1)
(root / "README.md").write_text(head + begin + "\n" + table + end + tail)
print(f"{len(table.splitlines()) - 2} keys")
