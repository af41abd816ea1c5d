#!/usr/bin/env python3
"""Regenerates the option reference in packaging/latchwatch.8 and docs/configuration.md from the binary's own
option table (`latchwatch config keys`), between the markers. Run after changing an option:
    packaging/gen-docs.py build/agent/latchwatch
The docs test (packaging/tests/docs_consistency.sh) fails when they drift apart."""
import re
import subprocess
import sys

binary = sys.argv[1]
rows = [line.split("\t") for line in
        subprocess.run([binary, "config", "keys"], check=True, capture_output=True,
                       text=True).stdout.splitlines()]
def roff_escape(text):
    return text.replace("\\", "\\e").replace("-", "\\-")

flags = [r for r in rows if r[1] != "-"]
man_options = "".join(
    f".TP\n.B {roff_escape(flag)} \\fIVALUE\\fR\n{roff_escape(help_)} (config key \\fB{key}\\fR, default {roff_escape(default)}).\n"
    for key, flag, default, help_ in flags)
man_config = "".join(
    f".TP\n.B {key}\n{roff_escape(help_)}. Default: {roff_escape(default)}"
    + (f"; flag \\fB{roff_escape(flag)}\\fR" if flag != "-" else "") + ".\n"
    for key, flag, default, help_ in rows)
readme_table = "| config key | flag | default | meaning |\n|---|---|---|---|\n" + "".join(
    f"| `{key}` | {'`' + flag + '`' if flag != '-' else ''} | `{default}` | {help_} |\n"
    for key, flag, default, help_ in rows)

def replace(path, start, end, body):
    text = open(path).read()
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        sys.exit(f"{path}: markers {start} .. {end} not found")
    text = pattern.sub(lambda _: start + "\n" + body + end, text)
    open(path, "w").write(text)

replace("packaging/latchwatch.8", ".\\\" options:start", ".\\\" options:end", man_options)
replace("packaging/latchwatch.8", ".\\\" config:start", ".\\\" config:end", man_config)
replace("docs/configuration.md", "<!-- config-reference:start -->", "<!-- config-reference:end -->", readme_table)
