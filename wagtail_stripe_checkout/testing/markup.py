"""HTML for the stand-in's pages, from ``templates/`` through :class:`string.Template`.

Every value is HTML-escaped unless it is :class:`Markup` built here.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).with_name("templates")
_LINK_RE = re.compile(r"\[([^\[\]]+)\]\((https?://[^\s()]+)\)")
_LINK = Template('<a href="$url">$text</a>')


class Markup(str):
    """HTML that is safe to insert as it is."""


@cache
def template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8").rstrip("\n"))


def render(tmpl: Template, **values: object) -> Markup:
    """Fill ``tmpl``, escaping every value that is not already :class:`Markup`."""
    safe = {
        key: value if isinstance(value, Markup) else html.escape(str(value))
        for key, value in values.items()
    }
    return Markup(tmpl.substitute(safe))


def join(parts: list[Markup]) -> Markup:
    return Markup("".join(parts))


def with_links(text: str) -> Markup:
    """``text`` escaped, its Markdown links ``[text](https://...)`` made into links."""
    parts, last = [], 0
    for match in _LINK_RE.finditer(text):
        parts.append(html.escape(text[last : match.start()]))
        parts.append(render(_LINK, text=match.group(1), url=match.group(2)))
        last = match.end()
    parts.append(html.escape(text[last:]))
    return Markup("".join(parts))


def page(title: str, content: Markup) -> bytes:
    return render(template("page.html"), title=title, content=content).encode()
