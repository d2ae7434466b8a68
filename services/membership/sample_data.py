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
Offers and needs are written in the company's own language (Romanian, French or Spanish;
one company in seven writes English), from hand-written sentences per topic, so partner
search has to match across languages. Needs of one country's companies complement offers
of another's, and seven planted pairs (``partner_pairs``) complement each other both ways
across borders and languages, e.g. a Romanian software company offering "software
embedded" and needing "certificarea aeronautică", and a French aerospace company offering
"la certification aéronautique EN 9100" and needing "logiciels embarqués": each lists the
other's country among its countries of interest and shares a cooperation type with it.
A topic offered is also among the company's ``technologies`` (English keywords).
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from stdnum import luhn

from services.membership.domain import CooperationType as C
from shared.service import SeedClient

__all__ = [
    "NETWORKS",
    "NODES",
    "clusters",
    "held",
    "language_of",
    "organizations",
    "partner_pairs",
    "seed",
    "topics_of",
    "with_cluster_ids",
]

# fmt: off
# keyword -> language -> (a company offering it says, a company needing it says): the demo
# networks' members write in their own language (a few in English), so partner search has
# to match across languages; each sentence is written, not translated by a machine.
_TOPICS: dict[str, dict[str, tuple[str, str]]] = {
    "embedded software": {
        "en": ("We develop embedded software for ECUs, PLCs and IoT gateways (AUTOSAR, Yocto).",
               "We are looking for an embedded software team for our controller firmware."),
        "ro": ("Dezvoltăm software embedded pentru ECU-uri, PLC-uri și gateway-uri IoT "
               "(AUTOSAR, Yocto).",
               "Căutăm o echipă de software embedded pentru firmware-ul controlerelor noastre."),
        "fr": ("Nous développons des logiciels embarqués pour calculateurs, automates et "
               "passerelles IoT (AUTOSAR, Yocto).",
               "Nous recherchons une équipe de logiciel embarqué pour le firmware de nos "
               "contrôleurs."),
        "es": ("Desarrollamos software embebido para centralitas, PLC y pasarelas IoT "
               "(AUTOSAR, Yocto).",
               "Buscamos un equipo de software embebido para el firmware de nuestros "
               "controladores."),
    },
    "software testing": {
        "en": ("We run manual and automated software testing with test suites built into CI.",
               "We need nearshore software testing capacity for our release cycles."),
        "ro": ("Efectuăm testare software manuală și automată, cu suite de teste integrate în CI.",
               "Avem nevoie de capacitate de testare software nearshore pentru ciclurile noastre "
               "de lansare."),
        "fr": ("Nous réalisons des tests logiciels manuels et automatisés, branchés sur "
               "l'intégration continue.",
               "Nous cherchons des capacités de test logiciel en nearshore pour nos cycles de "
               "livraison."),
        "es": ("Realizamos pruebas de software manuales y automatizadas integradas en la "
               "integración continua.",
               "Necesitamos capacidad de pruebas de software nearshore para nuestros ciclos de "
               "entrega."),
    },
    "cybersecurity": {
        "en": ("We carry out cybersecurity audits, penetration tests and ISO 27001 readiness "
               "projects.",
               "We are looking for a cybersecurity partner to secure our OT networks and cloud "
               "platforms."),
        "ro": ("Realizăm audituri de securitate cibernetică, teste de penetrare și pregătire "
               "pentru ISO 27001.",
               "Căutăm un partener de securitate cibernetică pentru a ne proteja rețelele OT și "
               "platformele cloud."),
        "fr": ("Nous menons des audits de cybersécurité, des tests d'intrusion et la préparation "
               "à l'ISO 27001.",
               "Nous recherchons un partenaire en cybersécurité pour protéger nos réseaux "
               "industriels et nos plateformes cloud."),
        "es": ("Hacemos auditorías de ciberseguridad, pruebas de penetración y preparación para "
               "la ISO 27001.",
               "Buscamos un socio de ciberseguridad para proteger nuestras redes OT y "
               "plataformas en la nube."),
    },
    "cnc machining": {
        "en": ("We do 5-axis CNC machining of aluminium, titanium and steel parts in small "
               "series.",
               "We are looking for CNC machining subcontractors for prototype and series parts."),
        "ro": ("Executăm prelucrări CNC în 5 axe pentru piese din aluminiu, titan și oțel, în "
               "serii mici.",
               "Căutăm subcontractori pentru prelucrări CNC de piese prototip și de serie."),
        "fr": ("Nous assurons l'usinage CNC 5 axes de pièces en aluminium, titane et acier en "
               "petites séries.",
               "Nous recherchons des sous-traitants en usinage CNC pour des pièces prototypes et "
               "de série."),
        "es": ("Realizamos mecanizado CNC en 5 ejes de piezas de aluminio, titanio y acero en "
               "series cortas.",
               "Buscamos subcontratistas de mecanizado CNC para piezas de prototipo y de serie."),
    },
    "wiring harnesses": {
        "en": ("We build wiring harnesses and cable assemblies to IPC/WHMA-A-620.",
               "We need a second source for wiring harnesses and cable assemblies."),
        "ro": ("Producem cablaje electrice și ansambluri de cabluri conform IPC/WHMA-A-620.",
               "Avem nevoie de un al doilea furnizor de cablaje și ansambluri de cabluri."),
        "fr": ("Nous fabriquons des faisceaux électriques et des assemblages de câbles selon "
               "l'IPC/WHMA-A-620.",
               "Nous cherchons une seconde source pour nos faisceaux électriques et assemblages "
               "de câbles."),
        "es": ("Fabricamos mazos de cables y conjuntos de cableado según IPC/WHMA-A-620.",
               "Necesitamos un segundo proveedor de mazos de cables y conjuntos de cableado."),
    },
    "solid wood furniture": {
        "en": ("We make solid wood furniture and joinery to order in FSC oak and beech.",
               "We source solid wood furniture for hotel and office fit-out projects."),
        "ro": ("Realizăm la comandă mobilier din lemn masiv și tâmplărie din stejar și fag "
               "certificat FSC.",
               "Căutăm mobilier din lemn masiv pentru amenajări de hoteluri și birouri."),
        "fr": ("Nous fabriquons sur mesure des meubles en bois massif et de la menuiserie en "
               "chêne et hêtre FSC.",
               "Nous recherchons des meubles en bois massif pour l'aménagement d'hôtels et de "
               "bureaux."),
        "es": ("Fabricamos a medida muebles de madera maciza y carpintería en roble y haya con "
               "certificación FSC.",
               "Buscamos muebles de madera maciza para proyectos de equipamiento de hoteles y "
               "oficinas."),
    },
    "organic produce": {
        "en": ("We grow certified organic produce: fruit, vegetables and wine grapes.",
               "We are looking for suppliers of organic produce for our private-label ranges."),
        "ro": ("Cultivăm produse ecologice certificate: fructe, legume și struguri de vin.",
               "Căutăm furnizori de produse ecologice pentru gamele noastre sub marcă proprie."),
        "fr": ("Nous cultivons des produits biologiques certifiés : fruits, légumes et raisins "
               "de cuve.",
               "Nous recherchons des fournisseurs de produits bio pour nos gammes à marque de "
               "distributeur."),
        "es": ("Cultivamos productos ecológicos certificados: fruta, hortalizas y uva de "
               "vinificación.",
               "Buscamos proveedores de productos ecológicos para nuestras marcas blancas."),
    },
    "aerospace certification": {
        "en": ("We support EN 9100 and EASA Part 21 aerospace certification.",
               "We need guidance on aerospace certification to enter aircraft supply chains."),
        "ro": ("Oferim sprijin pentru certificarea aeronautică EN 9100 și EASA Partea 21.",
               "Avem nevoie de îndrumare în certificarea aeronautică pentru a intra în lanțurile "
               "de aprovizionare ale constructorilor de avioane."),
        "fr": ("Nous accompagnons la certification aéronautique EN 9100 et EASA Part 21.",
               "Nous cherchons un accompagnement à la certification aéronautique pour entrer "
               "dans la chaîne d'approvisionnement des avionneurs."),
        "es": ("Apoyamos la certificación aeronáutica EN 9100 y EASA Parte 21.",
               "Necesitamos asesoramiento en certificación aeronáutica para entrar en la cadena "
               "de suministro de la aviación."),
    },
    "composite materials": {
        "en": ("We design parts in composite materials: carbon fibre, prepreg lay-up and "
               "autoclave curing.",
               "We need composite materials know-how to make our structural parts lighter."),
        "ro": ("Proiectăm piese din materiale compozite: fibră de carbon, laminare de "
               "preimpregnate și polimerizare în autoclavă.",
               "Avem nevoie de expertiză în materiale compozite pentru a ne ușura piesele "
               "structurale."),
        "fr": ("Nous concevons des pièces en matériaux composites : fibre de carbone, drapage "
               "de préimprégnés, cuisson en autoclave.",
               "Nous recherchons un savoir-faire en matériaux composites pour alléger nos "
               "pièces de structure."),
        "es": ("Diseñamos piezas de materiales compuestos: fibra de carbono, laminado de "
               "preimpregnados y curado en autoclave.",
               "Necesitamos conocimientos en materiales compuestos para aligerar nuestras "
               "piezas estructurales."),
    },
    "robotics integration": {
        "en": ("We integrate robotics: cobot cells, vision-guided picking and line retrofits.",
               "We need robotics integration for our packing and palletising lines."),
        "ro": ("Integrăm sisteme robotizate: celule cu coboți, preluare ghidată vizual și "
               "modernizări de linii.",
               "Avem nevoie de integrare robotică pentru liniile noastre de ambalare și "
               "paletizare."),
        "fr": ("Nous sommes intégrateurs robotiques : cellules cobotiques, préhension guidée "
               "par vision et rétrofit de lignes.",
               "Nous recherchons un intégrateur robotique pour nos lignes d'emballage et de "
               "palettisation."),
        "es": ("Integramos robótica: células con cobots, picking guiado por visión y "
               "modernización de líneas.",
               "Necesitamos integración robótica para nuestras líneas de envasado y "
               "paletizado."),
    },
    "digital twin": {
        "en": ("We build digital twins of production lines for virtual commissioning and OEE.",
               "We want a digital twin of our plant to plan capacity and energy use."),
        "ro": ("Realizăm gemeni digitali ai liniilor de producție pentru punere în funcțiune "
               "virtuală și OEE.",
               "Ne dorim un geamăn digital al fabricii pentru a planifica capacitatea și "
               "consumul de energie."),
        "fr": ("Nous réalisons des jumeaux numériques de lignes de production pour la mise en "
               "service virtuelle et le TRS.",
               "Nous souhaitons un jumeau numérique de notre usine pour planifier la capacité "
               "et la consommation d'énergie."),
        "es": ("Creamos gemelos digitales de líneas de producción para la puesta en marcha "
               "virtual y el OEE.",
               "Queremos un gemelo digital de nuestra planta para planificar la capacidad y el "
               "consumo energético."),
    },
    "machine vision": {
        "en": ("We supply machine vision and hyperspectral cameras for inline quality "
               "inspection.",
               "We need machine vision for automated defect detection."),
        "ro": ("Furnizăm sisteme de vedere artificială și camere hiperspectrale pentru "
               "controlul calității în linie.",
               "Avem nevoie de vedere artificială pentru detectarea automată a defectelor."),
        "fr": ("Nous fournissons des systèmes de vision industrielle et des caméras "
               "hyperspectrales pour le contrôle qualité en ligne.",
               "Nous avons besoin de vision industrielle pour détecter automatiquement les "
               "défauts."),
        "es": ("Suministramos visión artificial y cámaras hiperespectrales para la inspección "
               "de calidad en línea.",
               "Necesitamos visión artificial para la detección automática de defectos."),
    },
    "solar pv": {
        "en": ("We build turnkey solar PV plants and rooftop installations with remote "
               "monitoring.",
               "We want solar PV on our factory roofs to cut energy costs."),
        "ro": ("Construim la cheie parcuri fotovoltaice și instalații pe acoperiș, cu "
               "monitorizare de la distanță.",
               "Dorim panouri fotovoltaice pe acoperișurile fabricii pentru a reduce costurile "
               "cu energia."),
        "fr": ("Nous construisons clés en main des centrales photovoltaïques et des "
               "installations en toiture télésurveillées.",
               "Nous voulons du photovoltaïque sur les toits de nos usines pour réduire la "
               "facture énergétique."),
        "es": ("Construimos llave en mano plantas fotovoltaicas e instalaciones en cubierta "
               "con monitorización remota.",
               "Queremos instalar fotovoltaica en las cubiertas de nuestras fábricas para "
               "reducir el coste energético."),
    },
    "wind turbine maintenance": {
        "en": ("We provide wind turbine maintenance, blade inspection and repair.",
               "We need wind turbine maintenance crews for our onshore wind parks."),
        "ro": ("Asigurăm mentenanța turbinelor eoliene, inspecția și repararea palelor.",
               "Avem nevoie de echipe de mentenanță a turbinelor eoliene pentru parcurile "
               "noastre eoliene terestre."),
        "fr": ("Nous assurons la maintenance d'éoliennes, l'inspection et la réparation des "
               "pales.",
               "Nous recherchons des équipes de maintenance d'éoliennes pour nos parcs "
               "terrestres."),
        "es": ("Ofrecemos mantenimiento de aerogeneradores, inspección y reparación de palas.",
               "Necesitamos equipos de mantenimiento de aerogeneradores para nuestros parques "
               "eólicos terrestres."),
    },
    "irrigation technology": {
        "en": ("We supply irrigation technology: drip systems, soil sensors and fertigation.",
               "We need irrigation technology for our orchards and vineyards."),
        "ro": ("Furnizăm tehnologie de irigații: sisteme prin picurare, senzori de sol și "
               "fertirigare.",
               "Avem nevoie de tehnologie de irigații pentru livezile și podgoriile noastre."),
        "fr": ("Nous fournissons des technologies d'irrigation : goutte-à-goutte, capteurs de "
               "sol et fertirrigation.",
               "Nous recherchons des technologies d'irrigation pour nos vergers et nos vignes."),
        "es": ("Suministramos tecnología de riego: goteo, sensores de suelo y fertirrigación.",
               "Necesitamos tecnología de riego para nuestros frutales y viñedos."),
    },
    "food packaging": {
        "en": ("We make recyclable food packaging, modified-atmosphere trays and labelling "
               "lines.",
               "We are looking for sustainable food packaging for our export ranges."),
        "ro": ("Producem ambalaje alimentare reciclabile, caserole cu atmosferă modificată și "
               "linii de etichetare.",
               "Căutăm ambalaje alimentare sustenabile pentru gamele noastre de export."),
        "fr": ("Nous fabriquons des emballages alimentaires recyclables, des barquettes sous "
               "atmosphère modifiée et des lignes d'étiquetage.",
               "Nous recherchons des emballages alimentaires durables pour nos gammes à "
               "l'export."),
        "es": ("Fabricamos envases alimentarios reciclables, bandejas en atmósfera modificada "
               "y líneas de etiquetado.",
               "Buscamos envases alimentarios sostenibles para nuestras gamas de exportación."),
    },
    "cold chain logistics": {
        "en": ("We run EU-wide cold chain logistics with live temperature tracking.",
               "We need cold chain logistics to reach retailers in Western Europe."),
        "ro": ("Asigurăm logistică în lanț frigorific în toată Uniunea Europeană, cu "
               "monitorizarea temperaturii în timp real.",
               "Avem nevoie de logistică frigorifică pentru a ajunge la retailerii din Europa de "
               "Vest."),
        "fr": ("Nous assurons une logistique du froid dans toute l'UE avec suivi de "
               "température en temps réel.",
               "Nous cherchons une logistique du froid pour livrer la grande distribution en "
               "Europe de l'Ouest."),
        "es": ("Ofrecemos logística de frío en toda la UE con seguimiento de temperatura en "
               "tiempo real.",
               "Necesitamos logística de frío para llegar a los distribuidores de Europa "
               "occidental."),
    },
    "ceramic coatings": {
        "en": ("We apply technical ceramic coatings and glazes that resist wear, heat and "
               "corrosion.",
               "We need ceramic coatings for high-temperature parts."),
        "ro": ("Aplicăm acoperiri ceramice tehnice și glazuri rezistente la uzură, căldură și "
               "coroziune.",
               "Avem nevoie de acoperiri ceramice pentru piese care lucrează la temperaturi "
               "înalte."),
        "fr": ("Nous appliquons des revêtements céramiques techniques et des émaux résistant à "
               "l'usure, à la chaleur et à la corrosion.",
               "Nous recherchons des revêtements céramiques pour des pièces soumises à de hautes "
               "températures."),
        "es": ("Aplicamos recubrimientos cerámicos técnicos y esmaltes resistentes al "
               "desgaste, al calor y a la corrosión.",
               "Necesitamos recubrimientos cerámicos para piezas que trabajan a alta "
               "temperatura."),
    },
    "battery storage": {
        "en": ("We install battery energy storage systems next to solar and wind plants.",
               "We need battery storage to turn our wind parks into hybrid plants."),
        "ro": ("Instalăm sisteme de stocare a energiei în baterii lângă parcurile solare și "
               "eoliene.",
               "Avem nevoie de stocare în baterii pentru a transforma parcurile eoliene în "
               "centrale hibride."),
        "fr": ("Nous installons des systèmes de stockage d'énergie par batteries à côté de "
               "centrales solaires et éoliennes.",
               "Nous avons besoin de stockage par batteries pour hybrider nos parcs éoliens."),
        "es": ("Instalamos sistemas de almacenamiento de energía en baterías junto a plantas "
               "solares y eólicas.",
               "Necesitamos almacenamiento en baterías para convertir nuestros parques eólicos "
               "en plantas híbridas."),
    },
}

_OFFER, _NEED = 0, 1  # index into a topic's (offer, need) sentences

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


class _Pair(NamedTuple):
    """Two members of different networks, each offering what the other needs."""

    members: tuple[tuple[str, int, str], tuple[str, int, str]]  # (node, kind, language)
    offers: tuple[tuple[str, ...], tuple[str, ...]]  # what each side offers (the other needs)


# The showcase of partner search: complementary both ways, across borders and languages.
# fmt: off
_PAIRS: tuple[_Pair, ...] = (
    _Pair((("ro-clustero", 1, "ro"), ("fr-franceclusters", 0, "fr")),
          (("embedded software", "software testing"), ("aerospace certification",))),
    _Pair((("ro-clustero", 0, "ro"), ("fr-franceclusters", 1, "fr")),
          (("cnc machining", "wiring harnesses"), ("robotics integration", "digital twin"))),
    _Pair((("ro-clustero", 5, "ro"), ("fr-franceclusters", 3, "fr")),
          (("organic produce",), ("food packaging",))),
    _Pair((("ro-clustero", 3, "ro"), ("fr-franceclusters", 4, "fr")),
          (("wiring harnesses",), ("machine vision",))),
    _Pair((("es-fenaeic", 3, "es"), ("fr-franceclusters", 1, "fr")),
          (("cnc machining",), ("robotics integration",))),
    _Pair((("es-fenaeic", 6, "es"), ("ro-clustero", 1, "en")),
          (("cybersecurity",), ("embedded software",))),
    _Pair((("es-fenaeic", 2, "es"), ("ro-clustero", 4, "ro")),
          (("wind turbine maintenance",), ("battery storage",))),
)
# fmt: on
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
                "offers": _text(offers, _OFFER, _writes(country, i)),
                "needs": _text(needs, _NEED, _writes(country, i)),
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
    for (pair, side), index in _pair_members(node, orgs).items():
        _plant(orgs[index], pair, side)
    return orgs


def _writes(country: _Country, index: int) -> str:
    """The language an organisation writes its offers and needs in: its own, one in 7 English."""
    return "en" if index % 7 == 3 else country.languages[0]


def _text(topics: Sequence[str], side: int, language: str) -> str:
    return " ".join(_TOPICS[topic][language][side] for topic in topics)


def _pair_members(node: str, orgs: Sequence[Mapping[str, Any]]) -> dict[tuple[_Pair, int], int]:
    """(pair, side 0 or 1) -> index in ``orgs`` of the member playing it on this node.

    Each side is the first organisation of its kind not yet taken and seen beyond the node.
    """
    kinds = len(_COUNTRIES[node].kinds)
    taken: set[int] = set()
    members: dict[tuple[_Pair, int], int] = {}
    for pair in _PAIRS:
        for side, (member_node, kind, _) in enumerate(pair.members):
            if member_node != node:
                continue
            index = next(
                i
                for i in range(kind, len(orgs), kinds)
                if i not in taken and orgs[i]["visibility"] != "node"
            )
            taken.add(index)
            members[pair, side] = index
    return members


def _plant(org: dict[str, Any], pair: _Pair, side: int) -> None:
    """Make ``org`` one side of ``pair``: its texts, keywords, interests and cooperation."""
    node, kind, language = pair.members[side]
    other_node, other_kind, _ = pair.members[1 - side]
    offers, needs = pair.offers[side], pair.offers[1 - side]
    other = _COUNTRIES[other_node]
    shared = [c for c in _COUNTRIES[node].kinds[kind].coop if c in other.kinds[other_kind].coop]
    techs = [t for t in org["technologies"] if t not in _TOPICS]
    org["offers"] = _text(offers, _OFFER, language)
    org["needs"] = _text(needs, _NEED, language)
    org["technologies"] = list(dict.fromkeys([*offers, *techs]))
    org["countries_of_interest"] = list(dict.fromkeys([other.code, *org["countries_of_interest"]]))
    org["cooperation_types"] = list(dict.fromkeys([*org["cooperation_types"], shared[0].value]))


def partner_pairs(seed: int = 0) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """The planted pairs as ((node, legal name), (node, legal name)): complementary both ways.

    For demos and tests of partner search: each should find the other among its first results.
    """
    sides: dict[tuple[_Pair, int], tuple[str, str]] = {}
    for node in NODES:
        orgs = organizations(node, seed)
        for key, index in _pair_members(node, orgs).items():
            sides[key] = (node, orgs[index]["legal_name"])
    return [(sides[pair, 0], sides[pair, 1]) for pair in _PAIRS]


def language_of(org: Mapping[str, Any]) -> str | None:
    """The language an organisation's offers and needs are written in (None: none or mixed)."""
    found = {
        language
        for languages in _TOPICS.values()
        for language, (offer, need) in languages.items()
        if offer in org["offers"] or need in org["needs"]
    }
    return found.pop() if len(found) == 1 else None


def topics_of(org: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """The topics an organisation's texts offer and need, whatever language they are in."""
    found: tuple[set[str], set[str]] = (set(), set())
    for topic, languages in _TOPICS.items():
        for sentences in languages.values():
            for side, field in ((_OFFER, "offers"), (_NEED, "needs")):
                if sentences[side] in org[field]:
                    found[side].add(topic)
    return found


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
