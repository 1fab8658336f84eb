"""The package's translations: update them, compile them, check them.

    python tools/messages.py            # makemessages for every shipped language, then compile
    python tools/messages.py --check    # exit 1 when a catalogue is stale, incomplete or uncompiled

The catalogues live in ``wagtail_stripe_checkout/locale/<lang>/LC_MESSAGES/``
and ship compiled in the wheel. ``makemessages`` needs GNU gettext
(``apt-get install gettext``); compiling uses Babel, a dependency already.
``--check`` runs ``makemessages`` on a copy of the package and compares: a
string added to or removed from the code without updating the catalogues, an
untranslated or fuzzy entry, a placeholder lost in translation or a ``.mo``
older than its ``.po`` all fail it.
"""

from __future__ import annotations

import argparse
import gettext
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "wagtail_stripe_checkout"
LANGUAGES = ("fr", "de")
# Not for shoppers or editors: the stand-in's fake Stripe page, and migrations.
IGNORE = ("testing/*", "migrations/*", "*/migrations/*")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")


def po_path(language: str, root: Path = PACKAGE) -> Path:
    return root / "locale" / language / "LC_MESSAGES" / "django.po"


def makemessages(package: Path) -> None:
    """Django's makemessages, run inside ``package`` so it writes ``package/locale``."""
    command = [
        sys.executable,
        "-m",
        "django",
        "makemessages",
        *(f"--locale={language}" for language in LANGUAGES),
        *(f"--ignore={pattern}" for pattern in IGNORE),
        "--no-obsolete",
        "--add-location=file",
        "--verbosity=0",
    ]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run(command, cwd=package, env=env, check=True)


def read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def compile_catalogue(language: str) -> Path:
    po = po_path(language)
    mo = po.with_suffix(".mo")
    with mo.open("wb") as f:
        write_mo(f, read(po))
    return mo


def _texts(text: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """A singular's text or a plural's forms, as a tuple."""
    if isinstance(text, (tuple, list)):
        return tuple(text)
    return (text or "",)


def problems_in(language: str, fresh: Catalog) -> list[str]:
    """What is wrong with one language's catalogue, as sentences."""
    po = po_path(language)
    shipped = read(po)
    found: list[str] = []
    ids = {m.id for m in shipped if m.id}
    wanted = {m.id for m in fresh if m.id}
    for message_id in sorted(map(str, wanted - ids)):
        found.append(f"{language}: not in the catalogue yet: {message_id!r}")
    for message_id in sorted(map(str, ids - wanted)):
        found.append(f"{language}: no longer in the code: {message_id!r}")
    for message in shipped:
        if not message.id:
            continue
        label = f"{language}: {message.id!r}"
        texts = _texts(message.string)
        if message.fuzzy or not all(texts):
            found.append(f"{label} is untranslated or fuzzy")
            continue
        for source, text in zip(_texts(message.id), texts, strict=False):
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                found.append(f"{label}: the placeholders differ in {text!r}")
    mo = po.with_suffix(".mo")
    if not mo.exists():
        found.append(f"{language}: {mo.name} is missing (run tools/messages.py)")
    else:
        with mo.open("rb") as f:
            compiled = gettext.GNUTranslations(f)
        for message in shipped:
            if message.id and isinstance(message.id, str) and not message.fuzzy:
                if message.context:
                    text = compiled.pgettext(message.context, message.id)
                else:
                    text = compiled.gettext(message.id)
                if text != message.string:
                    found.append(
                        f"{language}: {mo.name} is older than its .po (run tools/messages.py)"
                    )
                    break
    return found


def check() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / PACKAGE.name
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        makemessages(copy)
        return [
            problem
            for language in LANGUAGES
            for problem in problems_in(language, read(po_path(language, copy)))
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; report problems")
    args = parser.parse_args(argv)
    if args.check:
        found = check()
        for problem in found:
            print(problem)
        print(f"{len(found)} problem(s) in {', '.join(LANGUAGES)}" if found else "Catalogues OK")
        return 1 if found else 0
    makemessages(PACKAGE)
    for language in LANGUAGES:
        print(f"compiled {compile_catalogue(language).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
