"""The one assertion helper of the interop scripts: prints a line per check, exits non-zero on the first failure."""
import sys


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + (f": {detail}" if detail and not condition else ""))
    if not condition:
        sys.exit(1)
