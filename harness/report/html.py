"""``report.html``: one self-contained file (no network): the timeline plot and the tables.

The plot is an inline PNG (``data:`` URI); the tables are ``report.md`` converted to
HTML by a small converter for the subset the Markdown renderer writes (headings,
pipe tables, paragraphs, list items, ``**bold**``), so both reports always agree.
Every piece of text is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from typing import Any

from harness.report.markdown import render_markdown
from harness.report.plot import timeline_png

__all__ = ["markdown_to_html", "render_html"]

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
strong { color: #b00020; }
img.timeline { width: 100%; max-width: 1100px; border: 1px solid #ddd; }
"""


def render_html(r: Mapping[str, Any]) -> str:
    """The HTML report from ``report.json`` data (plots with matplotlib: CPU work)."""
    png = base64.b64encode(timeline_png(r)).decode("ascii")
    body = markdown_to_html(render_markdown(r))
    head, sep, rest = body.partition("</table>")  # the plot goes right after the summary
    figure = (
        '<h2>Timeline</h2>\n<img class="timeline" alt="SLI timeline" '
        f'src="data:image/png;base64,{png}">'
    )
    title = html.escape(f"Game day: {r['scenario']}")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"{head}{sep}\n{figure}\n{rest}</body>\n</html>\n"
    )


def _inline(text: str) -> str:
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(text))
    # links to files in the run folder only (sut.log): a relative path, no scheme
    return re.sub(r"\[([^\]]+)\]\(([\w.-]+)\)", r'<a href="\2">\1</a>', out)


def markdown_to_html(md: str) -> str:
    """Convert the Markdown subset :func:`render_markdown` writes."""
    out: list[str] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if not rows:
            return
        header, *body = rows
        out.append("<table>")
        if any(cell.strip() for cell in header):
            out.append("<tr>" + "".join(f"<th>{_inline(c)}</th>" for c in header) + "</tr>")
        for row in body:
            out.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>")
        out.append("</table>")
        rows.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r"-+", c) for c in cells):
                rows.append(cells)
            continue
        flush()
        if line.startswith("## "):
            out.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("# "):
            out.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.startswith("- "):
            out.append(f"<p>• {_inline(line[2:])}</p>")
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
    flush()
    return "\n".join(out) + "\n"
