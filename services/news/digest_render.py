"""A digest as e-mail: HTML with inline styles, a plain-text part, a .eml file. Pure.

Mail programs drop ``<style>`` blocks and never run scripts, so the HTML carries its
styles inline on each element (written in the template, ``news/digest_email.html``) and
holds no ``<style>`` or ``<script>``; every text is escaped (Jinja2 autoescape), and
item bodies are not included (title, summary and a link), so no HTML of another node
reaches a reader's mailbox. The plain-text part says the same for mail programs that
show no HTML. The interface words (headings, "Read more") are in the digest's language
when the node has that catalogue (English, French, Spanish), else in English; dates and
language names are in the digest's language whenever CLDR knows it. Sending is out of
scope: any mailer sends the ``.eml`` (``multipart/alternative``) or the two parts.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.news.digests import Digest, DigestEntry
from shared.web import i18n
from shared.web.i18n import N_, Language, load_languages
from shared.web.layer import locale_dir, template_dir

WIDTH = 72  # plain-text lines, as mail programs expect
PACKAGE = "services.news"  # its templates/ and locales/, as the web layer reads them


@dataclass(frozen=True)
class Rendering:
    """What a digest is shown with: the networks' names and where its links point."""

    digest: Digest
    networks: Mapping[str, str]  # node id -> network name
    base_url: str  # absolute (a mail has no page to be relative to)
    language: Language  # interface words; see ``interface_language``

    @property
    def locale(self) -> Locale:
        return locale_of(self.digest.language)

    def network(self, node: str) -> str:
        return self.networks.get(node, node)

    def link(self, entry: DigestEntry) -> str:
        """The item's page on this node (it shows the alliance's items in any language)."""
        return f"{self.base_url.rstrip('/')}/news/{entry.origin}/{entry.item}"

    def day(self, value: str) -> str:
        return format_date(date.fromisoformat(value[:10]), "long", locale=self.locale)

    def language_name(self, tag: str) -> str:
        """``ro`` as the digest's readers call it (``roumain`` in a French digest)."""
        try:
            return Locale.parse(tag.replace("-", "_")).get_display_name(self.locale) or tag
        except (ValueError, UnknownLocaleError):
            return tag

    def notes(self, entry: DigestEntry) -> list[str]:
        """What a reader is told about an item's provenance and language."""
        gettext = self.language.gettext
        found = [gettext(N_("From %(network)s.")) % {"network": self.network(entry.origin)}]
        if entry.translated_by:
            words = gettext(N_("Translated by %(network)s."))
            found.append(words % {"network": self.network(entry.translated_by)})
        elif entry.marked:
            words = gettext(N_("In %(language)s (no translation yet)."))
            found.append(words % {"language": self.language_name(entry.language)})
        return found

    def issued(self) -> str:
        """The closing line: who issued it, when."""
        words = self.language.gettext(N_("Issued by %(network)s on %(day)s."))
        day = self.day(self.digest.issued_at.isoformat())
        return words % {"network": self.network(self.digest.network), "day": day}

    def title(self) -> str:
        """The digest's heading, also its e-mail subject."""
        words = self.language.gettext(N_("%(network)s news from %(start)s to %(end)s"))
        start, end = self.day(self.digest.start), self.day(self.digest.end)
        return words % {"network": self.network(self.digest.network), "start": start, "end": end}


def locale_of(tag: str) -> Locale:
    """The CLDR locale of a BCP 47 tag, English when CLDR does not know it."""
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale("en")


def interface_language(languages: Mapping[str, Language], tag: str) -> Language:
    """The interface catalogue for a digest's language: the same language, else English."""
    return languages.get(tag.split("-")[0].lower()) or languages[i18n.SOURCE_LANGUAGE]


@cache
def languages() -> dict[str, Language]:
    """The digest's interface words: the news service's catalogues, loaded once."""
    return load_languages([locale_dir(PACKAGE)])


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(template_dir(PACKAGE)),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    return env


def render_html(view: Rendering) -> str:
    """The e-mail-ready HTML document: inline styles, no <style>, no <script>."""
    with i18n.speaking(view.language):
        return _environment().get_template("news/digest_email.html").render(view=view)


def render_text(view: Rendering) -> str:
    """The plain-text part: the same items, wrapped at 72 columns."""
    gettext = view.language.gettext
    lines = [view.title(), "=" * min(len(view.title()), WIDTH), ""]
    for entry in view.digest.entries:
        lines.append(f"* {entry.title}")
        lines += textwrap.wrap(entry.summary, WIDTH, initial_indent="  ", subsequent_indent="  ")
        lines += [f"  {note}" for note in view.notes(entry)]
        lines += [f"  {gettext(N_('Read more'))}: {view.link(entry)}", ""]
    lines.append(view.issued())
    return "\n".join(lines) + "\n"


def eml(view: Rendering) -> bytes:
    """A ``multipart/alternative`` message (text, then HTML); the mailer adds From and To."""
    message = EmailMessage()
    message["Subject"] = view.title()
    message["Date"] = format_datetime(view.digest.issued_at)
    message.set_content(render_text(view))
    message.add_alternative(render_html(view), subtype="html")
    message["Content-Language"] = view.digest.language  # after: content headers move
    return bytes(message)
