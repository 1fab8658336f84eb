"""Structural limits the linters do not check, run in the lint environment.

    python tools/check_structure.py [--max-lines 60] [--report]

Fails when a function in the package (migrations aside) is longer than
``--max-lines``; when an import sits inside a function without a comment on
its line saying which import cycle it breaks (``# ... imports this module`` or
``# cycle: ...``); or when a pure module (pricing, the order states) imports
more than its short list allows (import-linter cannot forbid ``django.db``
alone). ``--report`` prints the longest functions.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "wagtail_stripe_checkout"


def python_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def length(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return (node.end_lineno or node.lineno) - first + 1


def inner_imports(path: Path, tree: ast.AST) -> list[str]:
    lines = path.read_text().splitlines()
    problems = []
    for func in functions(tree):
        for node in ast.walk(func):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                text = lines[node.lineno - 1] + (
                    lines[node.end_lineno - 1] if node.end_lineno else ""
                )
                if "imports this module" not in text and "cycle:" not in text:
                    problems.append(
                        f"{path.relative_to(ROOT)}:{node.lineno}: import inside {func.name}()"
                    )
    return problems


# Modules that must stay pure, and the only outside imports they may use.
PURE = {
    "wagtail_stripe_checkout/pricing.py": (
        "__future__",
        "collections",
        "dataclasses",
        "decimal",
        "enum",
        "django.utils",
    ),
    "wagtail_stripe_checkout/order_states.py": (
        "__future__",
        "enum",
        "dataclasses",
        "django.db.models",
        "django.dispatch",
        "django.utils",
        "wagtail_stripe_checkout.signals",
    ),
}


def impure_imports(path: Path, tree: ast.AST) -> list[str]:
    allowed = PURE.get(str(path.relative_to(ROOT)))
    if allowed is None:
        return []
    problems = []
    for node in ast.walk(tree):
        names: list[str] = []
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = "wagtail_stripe_checkout." + base if base else "wagtail_stripe_checkout"
                names = [
                    f"{base}.{alias.name}" if not node.module else base for alias in node.names
                ]
            else:
                names = [base]
        for name in names:
            if not any(name == a or name.startswith(a + ".") for a in allowed):
                problems.append(
                    f"{path.relative_to(ROOT)}:{node.lineno}: {name} is not allowed here"
                )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--max-lines", type=int, default=60)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    sizes: list[tuple[int, str]] = []
    problems: list[str] = []
    for path in python_files():
        tree = ast.parse(path.read_text())
        for func in functions(tree):
            sizes.append((length(func), f"{path.relative_to(ROOT)}:{func.lineno} {func.name}"))
        problems.extend(inner_imports(path, tree))
        problems.extend(impure_imports(path, tree))
    sizes.sort(reverse=True)
    problems.extend(
        f"{where}: {n} lines (at most {args.max_lines})" for n, where in sizes if n > args.max_lines
    )
    if args.report:
        for n, where in sizes[:10]:
            print(f"{n:4d}  {where}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
