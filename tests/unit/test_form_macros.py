"""The form macros put extra attributes on the input as attributes, not as escaped text."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parents[2] / "shared" / "web" / "templates"


def render_field(**arguments: object) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    macro = env.get_template("web/macros.html").module.field  # type: ignore[attr-defined]
    return str(macro("capacity", "Seats", **arguments))


def test_extra_attributes_reach_the_input() -> None:
    html = render_field(type="number", attrs={"min": "1"})
    assert 'min="1"' in html and "&#34;" not in html


def test_an_attribute_value_is_escaped() -> None:
    html = render_field(attrs={"placeholder": '"><script>'})
    assert "<script>" not in html and 'placeholder="&#34;&gt;&lt;script&gt;"' in html
