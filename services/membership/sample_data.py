"""Membership's demo data for the alliance's three founding networks (``alliance demo``).

Every record is a plain dict shaped exactly like a JSON request body of the membership
API, so a caller can send it as-is:

* ``NETWORKS[node]``         -> ``PUT  /api/membership/profile``       (NetworkProfileDraft)
* ``clusters(node)``         -> ``POST /api/membership/clusters``      (ClusterDraft)
* ``organizations(node, s)`` -> ``POST /api/membership/organizations`` (OrganizationDraft)

Cluster references: an organisation's ``clusters`` list holds cluster **names**, exactly
as they appear in ``clusters(node)`` (never ids, which the node assigns on POST). The body
is valid either way; a caller that wants ids maps them with ``with_cluster_ids``.

Everything is fictitious: companies and people are invented, web hosts live under
``*.example.<tld>``, and VAT numbers merely have the right national shape and check digit.
Needs of one country's companies are written to complement offers of another's: both
texts quote the same keyword (e.g. "cnc machining"), which is also among the offering
company's ``technologies``, so partner matching has something to find.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, NamedTuple

from stdnum import luhn

from services.membership.domain import CooperationType as C
from shared.service import SeedClient

__all__ = [
    "NETWORKS",
    "NODES",
    "clusters",
    "held",
    "organizations",
    "seed",
    "with_cluster_ids",
]

# fmt: off
# keyword -> (how a company offering it puts it, how a company needing it puts it)
_TOPICS: dict[str, tuple[str, str]] = {
    "embedded software": ("embedded software for ECUs, PLCs and IoT gateways (AUTOSAR, Yocto)",
        "an embedded software team for controller firmware"),
    "software testing": ("manual and automated software testing with CI-integrated test suites",
        "nearshore software testing capacity for our release cycles"),
    "cybersecurity": ("cybersecurity audits, penetration tests and ISO 27001 readiness",
        "a cybersecurity partner to secure OT networks and cloud platforms"),
    "cnc machining": ("5-axis CNC machining of aluminium, titanium and steel parts in small series",
        "CNC machining subcontractors for prototype and series parts"),
    "wiring harnesses": ("wiring harnesses and cable assemblies built to IPC/WHMA-A-620",
        "a second source for wiring harnesses and cable assemblies"),
    "solid wood furniture": ("solid wood furniture and joinery made to order in FSC oak and beech",
        "solid wood furniture for hotel and office fit-out projects"),
    "organic produce": ("certified organic produce: fruit, vegetables and wine grapes",
        "suppliers of organic produce for private-label ranges"),
    "aerospace certification": ("EN 9100 and EASA Part 21 aerospace certification support",
        "guidance on aerospace certification to enter aircraft supply chains"),
    "composite materials": ("composite materials: carbon-fibre design, prepreg lay-up, autoclave",
        "composite materials know-how to make structural parts lighter"),
    "robotics integration": ("robotics integration: cobot cells, vision picking, line retrofits",
        "robotics integration for packing and palletising lines"),
    "digital twin": ("digital twin models of lines for virtual commissioning and OEE",
        "a digital twin of our plant to plan capacity and energy use"),
    "machine vision": ("machine vision and hyperspectral cameras for inline quality inspection",
        "machine vision for automated defect detection"),
    "solar pv": ("turnkey solar pv plants and rooftop installations with remote monitoring",
        "solar pv on our factory roofs to cut energy costs"),
    "wind turbine maintenance": ("wind turbine maintenance, blade inspection and repair",
        "wind turbine maintenance crews for onshore wind parks"),
    "irrigation technology": ("irrigation technology: drip systems, soil sensors, fertigation",
        "irrigation technology for orchards and vineyards"),
    "food packaging": ("recyclable food packaging, modified-atmosphere trays and labelling lines",
        "sustainable food packaging for our export ranges"),
    "cold chain logistics": ("EU-wide cold chain logistics with live temperature tracking",
        "cold chain logistics to reach retailers in Western Europe"),
    "ceramic coatings": ("technical ceramic coatings and glazes resisting wear, heat and corrosion",
        "ceramic coatings for high-temperature parts"),
}

_MAKE = (C.SUBCONTRACTING, C.MANUFACTURING_AGREEMENT, C.TECHNICAL_COOPERATION, C.LICENSING)
_SERVE = (C.SERVICES_AGREEMENT, C.OUTSOURCING, C.TECHNICAL_COOPERATION, C.RESEARCH_COOPERATION)
_TRADE = (C.COMMERCIAL_AGREEMENT, C.DISTRIBUTION_SERVICES, C.JOINT_VENTURE)
_ENERGY = (C.SERVICES_AGREEMENT, C.JOINT_VENTURE, C.FINANCIAL_AGREEMENT, C.TECHNICAL_COOPERATION)


class _Kind(NamedTuple):
    """A kind of member company: how it is named, classified, and what it offers/needs."""

    words: tuple[str, ...]
    nace: tuple[str, ...]
    techs: tuple[str, ...]
    offers: tuple[str, ...]
    needs: tuple[str, ...]
    cluster: int
    cities: tuple[str, ...]
    coop: tuple[C, ...]


class _Country(NamedTuple):
    code: str
    tld: str
    languages: tuple[str, ...]
    extra_languages: tuple[str, ...]
    forms: tuple[str, ...]  # first is the usual small-company form, last the large one
    prefixes: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    clusters: tuple[tuple[str, str, str, tuple[int, int, int, int]], ...]
    kinds: tuple[_Kind, ...]


def _t(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


_K = _Kind
_RO = _Country("RO", "ro", ("ro", "en"), ("fr", "de", "hu", "it"), ("SRL", "SA"),
    _t("Carpatia|Argeș|Someș|Olt|Mureș|Bistrița|Ceahlău|Bucegi|"
       "Retezat|Danubia|Prahova|Apuseni|Siret|Făgăraș|Vlasia|Codrii"),
    _t("Andrei|Ioana|Mihai|Elena|Cristian|Ana|Radu|Alexandra|Bogdan|Diana"),
    _t("Popescu|Ionescu|Stan|Dumitrescu|Marin|Constantin|Munteanu|Georgescu|Barbu|Moldovan"),
    (("Argeș Automotive Cluster", "Pitești, Argeș", "29.32 29.31 25.53", (58, 9, 4, 3)),
     ("Transilvania Digital Cluster", "Cluj-Napoca, Cluj", "62.10 62.20 63.10", (47, 6, 3, 2)),
     ("Bucovina Wood & Furniture Cluster", "Suceava", "16.23 31.00", (36, 2, 2, 3)),
     ("Banat Electronics Cluster", "Timișoara, Timiș", "26.11 26.12 27.32", (29, 5, 3, 2)),
     ("Dobrogea Renewable Energy Cluster", "Constanța", "35.12 33.14 71.12", (22, 4, 2, 4)),
     ("Moldova AgroFood Cluster", "Iași", "01.21 10.39 11.02", (41, 3, 3, 5))),
    (_K(_t("Automotive|Auto Parts|Precision Parts"), ("29.32", "25.53"),
        ("stamping", "injection moulding", "iatf 16949"), ("cnc machining", "wiring harnesses"),
        ("robotics integration", "machine vision", "digital twin"), 0,
        _t("Pitești|Mioveni|Câmpulung|Craiova"), _MAKE),
     _K(_t("Soft|Software|Digital|Code Labs"), ("62.10", "62.20"), ("cloud", "java", "react"),
        ("embedded software", "software testing", "cybersecurity"),
        ("aerospace certification", "digital twin"), 1, _t("Cluj-Napoca|Iași|Brașov"), _SERVE),
     _K(_t("Mobila|Wood|Furniture"), ("16.23", "31.00"), ("cnc woodworking", "upholstery"),
        ("solid wood furniture",), ("robotics integration", "solar pv"), 2,
        _t("Suceava|Rădăuți|Vatra Dornei"), _MAKE),
     _K(_t("Electronics|Electronic Systems|Sensors"), ("26.12", "26.11"),
        ("smt assembly", "pcb design"), ("wiring harnesses", "embedded software"),
        ("composite materials", "machine vision"), 3, _t("Timișoara|Arad|Reșița"), _MAKE),
     _K(_t("Energy|Green Power|Renewables"), ("35.12", "43.21"), ("energy storage", "scada"),
        ("solar pv",), ("wind turbine maintenance", "digital twin"), 4,
        _t("Constanța|Tulcea|Medgidia"), _ENERGY),
     _K(_t("Agro|Vinuri|Natural Foods"), ("10.39", "11.02", "01.21"), ("traceability",),
        ("organic produce",), ("irrigation technology", "food packaging", "cold chain logistics"),
        5, _t("Iași|Focșani|Urlați"), _TRADE)))
_FR = _Country("FR", "fr", ("fr", "en"), ("es", "de", "it"), ("SARL", "SAS", "SA"),
    _t("Garonne|Lauragais|Mont-Blanc|Aravis|Belledonne|Vercors|Lumière|Atlantique|"
       "Alpin|Rhône|Pyrène|Occitan|Cévennes|Chartreuse|Armor|Vauban"),
    _t("Camille|Julien|Claire|Nicolas|Sophie|Thomas|Émilie|Mathieu|Léa|Antoine"),
    _t("Martin|Bernard|Dubois|Moreau|Laurent|Girard|Roux|Fournier|Lefèvre|Mercier"),
    (("Occitanie Aéro Cluster", "Toulouse, Occitanie", "30.31 33.16 71.12", (112, 14, 9, 6)),
     ("Savoie Mécatronique", "Annecy, Haute-Savoie", "28.41 25.53 28.99", (64, 7, 4, 3)),
     ("Rhône Robotique", "Lyon, Auvergne-Rhône-Alpes", "28.99 62.10", (38, 5, 6, 2)),
     ("Bretagne Agroalimentaire", "Rennes, Bretagne", "10.51 10.13 28.93", (55, 8, 3, 4)),
     ("Sud Photonique", "Marseille, Provence-Alpes-Côte d'Azur", "26.70 26.51 72.10",
      (31, 4, 7, 2)),
     ("Grand Est Composites", "Strasbourg, Grand Est", "22.21 13.96 72.10", (27, 3, 4, 2))),
    (_K(_t("Aéro Systèmes|Aérostructures|Avionique"), ("30.31", "33.16", "71.12"),
        ("en 9100", "mbse"), ("aerospace certification", "composite materials"),
        ("cnc machining", "embedded software", "software testing"), 0,
        _t("Toulouse|Blagnac|Colomiers|Tarbes"), _MAKE),
     _K(_t("Mécatronique|Décolletage|Automatismes"), ("28.41", "25.53", "28.99"),
        ("decolletage", "plc programming"), ("robotics integration", "digital twin"),
        ("wiring harnesses", "cnc machining"), 1, _t("Annecy|Cluses|Chambéry|Albertville"),
        _MAKE),
     _K(_t("Robotique|Industrie Logiciel|Cobotique"), ("28.99", "62.10"), ("ros", "cobots"),
        ("robotics integration", "digital twin"), ("embedded software", "software testing"), 2,
        _t("Lyon|Villeurbanne|Grenoble"), _SERVE),
     _K(_t("Laiterie|Conserverie|Saveurs"), ("10.51", "10.39"), ("haccp", "uht processing"),
        ("food packaging",), ("organic produce", "solar pv", "cold chain logistics"), 3,
        _t("Rennes|Quimper|Vannes"), _TRADE),
     _K(_t("Photonique|Optique|Lasers"), ("26.70", "26.51"), ("lidar", "ultrafast lasers"),
        ("machine vision",), ("wiring harnesses", "software testing"), 4,
        _t("Marseille|Aix-en-Provence|Nice"), _SERVE),
     _K(_t("Composites|Matériaux Avancés"), ("22.21", "13.96"), ("thermoplastics", "rtm"),
        ("composite materials",), ("cnc machining", "ceramic coatings"), 5,
        _t("Strasbourg|Reims|Mulhouse"), _MAKE)))
_ES = _Country("ES", "es", ("es", "en"), ("fr", "ca", "pt", "de"), ("S.L.", "S.A."),
    _t("Segura|Huerta|Ebro|Levante|Cierzo|Mediterránea|Ibérica|Bardenas|"
       "Moncayo|Albufera|Galaica|Tajo|Cantábrica|Alhambra|Miño|Turia"),
    _t("Lucía|Javier|María|Carlos|Elena|Pablo|Carmen|Alejandro|Laura|Miguel"),
    _t("García|Fernández|López|Martínez|Sánchez|Pérez|Gómez|Ruiz|Navarro|Torres"),
    (("Clúster Agroalimentario de la Región de Murcia", "Murcia", "01.13 10.39 28.30",
      (84, 9, 5, 4)),
     ("Clúster de Energías Renovables de Navarra", "Pamplona, Navarra", "35.12 28.11 33.14",
      (46, 8, 4, 3)),
     ("Clúster de Automoción de Vigo", "Vigo, Galicia", "29.32 25.53 22.26", (59, 11, 3, 2)),
     ("Clúster Logístico de Aragón", "Zaragoza, Aragón", "52.10 52.25 49.41", (37, 6, 2, 3)),
     ("Clúster Cerámico de Castellón", "Castellón de la Plana, Comunitat Valenciana",
      "23.31 23.44 20.30", (41, 5, 3, 2)),
     ("Clúster TIC de Andalucía", "Málaga, Andalucía", "62.10 62.20 63.10", (68, 7, 5, 3))),
    (_K(_t("Agroalimentaria|Frutas|Hortofrutícola"), ("10.39", "01.13", "46.31"),
        ("global gap",), ("food packaging", "organic produce"),
        ("robotics integration", "machine vision"), 0, _t("Murcia|Cartagena|Lorca"), _TRADE),
     _K(_t("Riegos|Agrotecnología"), ("28.30", "46.61"), ("iot sensors",),
        ("irrigation technology",), ("embedded software", "wiring harnesses"), 0,
        _t("Murcia|Totana|Molina de Segura"), _MAKE),
     _K(_t("Renovables|Eólica|Solar"), ("35.12", "33.14", "28.11"), ("hybrid plants",),
        ("wind turbine maintenance", "solar pv"),
        ("composite materials", "digital twin", "cnc machining"), 1,
        _t("Pamplona|Tudela|Estella"), _ENERGY),
     _K(_t("Automoción|Componentes|Estampaciones"), ("29.32", "25.53"), ("hot stamping",),
        ("cnc machining",), ("robotics integration", "wiring harnesses", "embedded software"),
        2, _t("Vigo|O Porriño|Ourense"), _MAKE),
     _K(_t("Logística|Transportes|Frío"), ("52.10", "52.25", "49.41"), ("wms",),
        ("cold chain logistics",), ("cybersecurity", "software testing"), 3,
        _t("Zaragoza|Huesca|Calatayud"), _SERVE),
     _K(_t("Cerámica|Esmaltes|Azulejos"), ("23.31", "23.44"), ("digital glazing",),
        ("ceramic coatings",), ("solar pv", "machine vision", "robotics integration"), 4,
        _t("Castellón de la Plana|Vila-real|Onda"), _MAKE),
     _K(_t("Software|Sistemas|Digital"), ("62.10", "63.10"), ("cloud", "python"),
        ("cybersecurity", "software testing"), ("embedded software", "aerospace certification"),
        5, _t("Málaga|Sevilla|Granada"), _SERVE)))
# fmt: on

_COUNTRIES: dict[str, _Country] = {"ro-clustero": _RO, "fr-franceclusters": _FR, "es-fenaeic": _ES}
NODES: tuple[str, ...] = tuple(_COUNTRIES)
_COUNTS = ("smes", "large_companies", "research_academia", "public_bodies")
_FAR = ("PL", "CZ", "DE", "IT", "PT", "HU", "BG", "AT", "SK")
_ROLES = _t("CEO|Managing Director|Business Development Manager|Head of R&D|Sales Director")
# fmt: off
_SITES = {  # node -> (network name, website, description)
    "ro-clustero": ("Romanian Cluster Association CLUSTERO", "https://clustero.example.ro",
        "The national association of Romanian clusters: it represents member clusters towards "
        "government, runs cluster excellence training and brings Romanian SMEs into European "
        "value chains."),
    "fr-franceclusters": ("France Clusters", "https://franceclusters.example.fr",
        "The national network of French clusters and business networks: it professionalises "
        "cluster managers, shares good practice and connects French companies with partners "
        "across Europe."),
    "es-fenaeic": ("FENAEIC", "https://fenaeic.example.es",
        "Federación Nacional de Agrupaciones Empresariales Innovadoras y Clusters: it federates "
        "Spain's innovative business clusters and promotes their international cooperation."),
}
_SERVICES = ("cluster management training", "matchmaking and B2B events",
             "EU project partner search", "internationalisation support", "policy representation")
# fmt: on


def _profile(node: str) -> dict[str, Any]:
    name, site, about = _SITES[node]
    links = [{"name": n, "url": u, "node": other} for other, (n, u, _) in _SITES.items()]
    return {
        "name": name,
        "country": _COUNTRIES[node].code,
        "website": site,
        "logo_url": f"{site}/logo.svg",
        "description": about,
        "services_offered": list(_SERVICES),
        "partner_links": [link for link in links if link["node"] != node],
    }


NETWORKS: dict[str, dict[str, Any]] = {node: _profile(node) for node in NODES}


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def clusters(node: str) -> list[dict[str, Any]]:
    """Bodies for ``POST /api/membership/clusters``: the node's member clusters."""
    country = _COUNTRIES[node]
    return [
        {
            "name": name,
            "region": region,
            "website": f"https://{_slug(name)}.example.{country.tld}",
            "sectors": sectors.split(),
            "members": dict(zip(_COUNTS, counts, strict=True)),
            "visibility": "public" if index == 0 else "alliance",
        }
        for index, (name, region, sectors, counts) in enumerate(country.clusters)
    ]


def _vat(country: str, large: bool, rng: random.Random) -> str:
    """A VAT number of the national shape, with the national check digit(s)."""
    if country == "RO":  # CUI: 7 digits + check digit (weights 753217532)
        body = str(rng.randint(1_000_000, 9_999_999))
        total = sum(int(d) * int(w) for d, w in zip(body.rjust(9, "0"), "753217532", strict=True))
        return f"RO{body}{total * 10 % 11 % 10}"
    if country == "FR":  # key + SIREN (8 digits + Luhn check digit)
        body = str(rng.randint(30_000_000, 99_999_999))
        siren = int(body + luhn.calc_check_digit(body))
        return f"FR{(12 + 3 * (siren % 97)) % 97:02d}{siren}"
    digits = [rng.randint(0, 9) for _ in range(7)]  # CIF: A (S.A.) or B (S.L.), 7 digits
    total = sum(digits[1::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[0::2])
    return f"ES{'A' if large else 'B'}{''.join(map(str, digits))}{(10 - total % 10) % 10}"


def _deal(rng: random.Random, n: int, shares: Mapping[str, int]) -> list[str]:
    """``n`` labels: ``shares[label]`` of each but the first, which fills up; shuffled."""
    rest = [label for label, count in list(shares.items())[1:] for _ in range(count)]
    labels = [next(iter(shares))] * (n - len(rest)) + rest
    rng.shuffle(labels)
    return labels


def organizations(node: str, seed: int = 0) -> list[dict[str, Any]]:
    """Bodies for ``POST /api/membership/organizations``: 25-40 companies, same per seed.

    ``clusters`` holds cluster names from ``clusters(node)``; see ``with_cluster_ids``.
    """
    country = _COUNTRIES[node]
    rng = random.Random(f"{node}:{seed}")
    cluster_names = [name for name, *_ in country.clusters]
    partners = [c.code for c in _COUNTRIES.values() if c.code != country.code]
    n = rng.randint(28, 38)
    visibility = _deal(rng, n, {"alliance": 0, "public": n // 5, "node": max(2, n // 12)})
    consent = _deal(rng, n, {"yes": 0, "no": n - round(0.7 * n)})
    used_bases: set[str] = set()
    used_vats: set[str] = set()
    orgs: list[dict[str, Any]] = []
    for i in range(n):
        kind = country.kinds[i % len(country.kinds)]
        base = f"{rng.choice(country.prefixes)} {rng.choice(kind.words)}"
        while base in used_bases:
            base = f"{rng.choice(country.prefixes)} {rng.choice(kind.words)}"
        used_bases.add(base)
        large = rng.random() < 0.2
        form = country.forms[-1] if large else rng.choice(country.forms[:-1])
        vat = _vat(country.code, large, rng)
        while vat in used_vats:
            vat = _vat(country.code, large, rng)
        used_vats.add(vat)
        host = f"{_slug(base)}.example.{country.tld}"
        offers = rng.sample(kind.offers, rng.randint(1, len(kind.offers)))
        needs = rng.sample(kind.needs, rng.randint(1, min(2, len(kind.needs))))
        member_of = [cluster_names[kind.cluster]]
        if rng.random() < 0.15:
            member_of.append(rng.choice(cluster_names))
        extra = rng.randint(0, 1)
        first, last = rng.choice(country.first_names), rng.choice(country.last_names)
        email = f"{_slug(first)}.{_slug(last)}@{host}"
        consents = consent[i] == "yes"
        contact = {"name": f"{first} {last}", "email": email, "role": rng.choice(_ROLES)}
        orgs.append(
            {
                "legal_name": f"{base}{',' if form.startswith('S.') else ''} {form}",
                "vat": vat,
                "country": country.code,
                "city": rng.choice(kind.cities),
                "website": f"https://www.{host}",
                "nace_codes": rng.sample(kind.nace, rng.randint(1, min(3, len(kind.nace)))),
                "technologies": [*offers, *rng.sample(kind.techs, rng.randint(1, len(kind.techs)))],
                "offers": "We offer " + "; ".join(_TOPICS[k][0] for k in offers) + ".",
                "needs": "We are looking for " + " and ".join(_TOPICS[k][1] for k in needs) + ".",
                "cooperation_types": [c.value for c in rng.sample(kind.coop, rng.randint(1, 3))],
                "countries_of_interest": rng.sample(partners, rng.randint(1, 2))
                + rng.sample(_FAR, rng.randint(0, 2)),
                "languages": [*country.languages, *rng.sample(country.extra_languages, k=extra)],
                "size_class": rng.choice(("medium", "large"))
                if large
                else rng.choice(("micro", "small", "small", "medium")),
                "clusters": list(dict.fromkeys(member_of)),
                "visibility": visibility[i],
                "contacts": [{**contact, "consent": consents}],
            }
        )
    return orgs


def with_cluster_ids(org: Mapping[str, Any], ids_by_name: Mapping[str, str]) -> dict[str, Any]:
    """A copy of ``org`` whose cluster names are replaced by the ids the node assigned.

    Names missing from ``ids_by_name`` (e.g. a cluster that failed to register) are dropped.
    """
    ids = [ids_by_name[name] for name in org.get("clusters", []) if name in ids_by_name]
    return {**org, "clusters": ids}


def seed(client: SeedClient, node: str) -> int:
    """Fill one demo node through its API: profile, clusters, organisations.

    What the node already holds is not sent again. Returns how many of its organisations
    leave the node (the other nodes come to hold them as replicas).
    """
    own = client.every("/api/membership/organizations")
    if not own:
        profile = client.call("GET", "/api/membership/profile")
        if not profile.get("website"):
            client.call("PUT", "/api/membership/profile", NETWORKS[node])
        ids = {c["name"]: c["id"] for c in client.every("/api/membership/clusters")}
        for cluster in clusters(node):
            if cluster["name"] not in ids:
                ids[cluster["name"]] = client.call("POST", "/api/membership/clusters", cluster)[
                    "id"
                ]
        for org in organizations(node):
            own.append(
                client.call("POST", "/api/membership/organizations", with_cluster_ids(org, ids))
            )
    return sum(1 for org in own if org.get("visibility") != "node" and not org.get("deleted"))


def held(client: SeedClient) -> dict[str, int]:
    """Per other origin, how many of its organisations this node holds as replicas."""
    return {str(k): int(v) for k, v in client.call("GET", "/api/membership/replicas").items()}
