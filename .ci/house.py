#!/usr/bin/env python3
"""The house rules, measured: no source file over 600 lines, no function over
80 lines (from its `fn` line to its closing brace, maud templates included).

Test code is outside the rules: the `tests/` folders and unit-test files
named `tests.rs` (a module's `#[cfg(test)] mod tests;`). Prints every
offender with its size and exits 1 when there is one; `--list N` prints the
N longest functions whatever their size.

The lexer knows Rust's comments (nested block comments), strings, raw
strings, byte strings, and char literals versus lifetimes, so a brace inside
a string or a comment is not counted.
"""
import os
import re
import sys

FILE_LIMIT = 600
FN_LIMIT = 80
SKIP_DIRS = {"target", ".git", "tests", "node_modules", "fonts"}

FN_RE = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")


def code_mask(text):
    """The text with every comment, string and char literal blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif (m := re.match(r'b?r(#*)"', text[i:i + 300])) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"' or (c == "b" and text.startswith('b"', i) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_"))):
            j = i + (2 if c == "b" else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "'":
            m = re.match(r"'(\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^\\'])'", text[i:i + 16])
            if m:
                out.append(" " * m.end())
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """(name, first line, last line) of every function with a body."""
    code = code_mask(text)
    line_starts = [0]
    for k, ch in enumerate(code):
        if ch == "\n":
            line_starts.append(k + 1)

    def line_of(pos):
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    found = []
    for m in FN_RE.finditer(code):
        # The body opens at the first `{` after the signature, unless a `;`
        # (a declaration without body) comes first at depth 0 of brackets.
        j, depth = m.end(), 0
        while j < len(code):
            ch = code[j]
            if ch in "([<":
                depth += 1
            elif ch in ")]>" and depth:
                depth -= 1
            elif ch == ";" and depth == 0:
                j = -1
                break
            elif ch == "{" and depth == 0:
                break
            j += 1
        if j < 0 or j >= len(code):
            continue
        k, braces = j, 0
        while k < len(code):
            if code[k] == "{":
                braces += 1
            elif code[k] == "}":
                braces -= 1
                if braces == 0:
                    break
            k += 1
        found.append((m.group(1), line_of(m.start()), line_of(k)))
    return found


def sources(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".rs") and name != "tests.rs":
                yield os.path.join(dirpath, name)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    listing = None
    if len(sys.argv) >= 3 and sys.argv[1] == "--list":
        listing = int(sys.argv[2])
    offenders, all_fns = [], []
    files = 0
    for path in sources(root):
        files += 1
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        lines = text.count("\n") + (0 if text.endswith("\n") else 1)
        if lines > FILE_LIMIT:
            offenders.append(f"{rel}: {lines} lines (the limit is {FILE_LIMIT})")
        for name, first, last in functions(text):
            size = last - first + 1
            all_fns.append((size, f"{rel}:{first} fn {name}"))
            if size > FN_LIMIT:
                offenders.append(f"{rel}:{first}: fn {name} is {size} lines (the limit is {FN_LIMIT})")
    if listing is not None:
        for size, where in sorted(all_fns, reverse=True)[:listing]:
            print(f"{size:5} {where}")
        return 0
    for line in offenders:
        print(f"house: {line}")
    print(f"house: {files} source files, {len(all_fns)} functions, {len(offenders)} over the limits")
    return 1 if offenders else 0


if __name__ == "__main__":
    sys.exit(main())
