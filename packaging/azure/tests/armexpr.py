#!/usr/bin/python3
"""Prints one string of an ARM template as ARM would deploy it, for the tests to run it.

    armexpr.py TEMPLATE PATH [NAME=VALUE...]

PATH is dot-separated (resources.1.properties.publishingProfile.manageActions.install; list
indices as numbers). The value may be a literal or an expression made of concat(), parameters()
and string literals ('' for a quote): the forms the latchwatch templates use in commands. Other
functions are refused, so a command cannot silently depend on something not evaluated here.
"""
import json
import sys


def parse_expression(text, params):
    pos = 0

    def skip():
        nonlocal pos
        while pos < len(text) and text[pos] == " ":
            pos += 1

    def value():
        nonlocal pos
        skip()
        if text[pos] == "'":
            out = []
            pos += 1
            while True:
                if text[pos] == "'":
                    if pos + 1 < len(text) and text[pos + 1] == "'":
                        out.append("'")
                        pos += 2
                        continue
                    pos += 1
                    return "".join(out)
                out.append(text[pos])
                pos += 1
        start = pos
        while text[pos].isalnum():
            pos += 1
        name = text[start:pos]
        skip()
        if text[pos] != "(":
            raise ValueError(f"expected ( after {name}")
        pos += 1
        args = []
        skip()
        while text[pos] != ")":
            args.append(value())
            skip()
            if text[pos] == ",":
                pos += 1
        pos += 1
        if name == "concat":
            return "".join(args)
        if name == "parameters":
            if args[0] not in params:
                raise ValueError(f"parameter {args[0]} not given")
            return params[args[0]]
        raise ValueError(f"function {name}() is not evaluated here")

    result = value()
    skip()
    if pos != len(text):
        raise ValueError("trailing text in expression")
    return result


def main():
    template = json.load(open(sys.argv[1], encoding="utf-8"))
    node = template
    for part in sys.argv[2].split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    params = dict(arg.split("=", 1) for arg in sys.argv[3:])
    if isinstance(node, str) and node.startswith("[") and not node.startswith("[["):
        node = parse_expression(node[1:-1], params)
    sys.stdout.write(node)


if __name__ == "__main__":
    main()
