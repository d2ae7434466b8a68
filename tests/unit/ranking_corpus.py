"""A small evaluation corpus of our own, for tests of the ranking and its harness.

Five planted pairs whose need and offer say the same thing in other words (two of them
across languages), and decoys that share the seeker's words or sector but offer nothing
it needs. Small enough to embed in a second.
"""

from __future__ import annotations

from typing import Any

ORGANISATIONS: list[dict[str, Any]] = [
    # planted pair 1: same meaning, other words (English)
    {
        "id": "ro-pcb",
        "country": "RO",
        "nace_codes": ["26.11"],
        "needs": "We need printed circuit board assembly for our sensor boards.",
        "offers": "We design embedded firmware for industrial sensors.",
    },
    {
        "id": "de-ems",
        "country": "DE",
        "nace_codes": ["26.12"],
        "offers": "PCB assembly and soldering, small and medium series.",
        "needs": "We look for a distributor in Eastern Europe.",
    },
    # planted pair 2: a French need, a Spanish offer
    {
        "id": "fr-vin",
        "country": "FR",
        "nace_codes": ["11.02"],
        "languages": ["fr"],
        "needs": "Nous cherchons un fabricant de bouchons en liège pour nos bouteilles de vin.",
        "offers": "Nous produisons des vins biologiques de Bordeaux.",
    },
    {
        "id": "es-corcho",
        "country": "ES",
        "nace_codes": ["16.29"],
        "languages": ["es"],
        "offers": "Fabricamos tapones de corcho natural para bodegas.",
        "needs": "Buscamos clientes en Francia.",
    },
    # planted pair 3: other words
    {
        "id": "pl-food",
        "country": "PL",
        "nace_codes": ["10.85"],
        "needs": "We need cold storage and refrigerated transport for frozen meals.",
        "offers": "Ready-made frozen meals for retail chains.",
    },
    {
        "id": "lt-cold",
        "country": "LT",
        "nace_codes": ["52.10"],
        "offers": "Temperature-controlled warehousing and reefer truck logistics.",
        "needs": "We want to modernise our fleet management software.",
    },
    # planted pair 4: a Spanish need, an English offer
    {
        "id": "es-hotel",
        "country": "ES",
        "nace_codes": ["55.10"],
        "languages": ["es"],
        "needs": "Necesitamos un sistema de reservas en línea para nuestros hoteles.",
        "offers": "Alojamiento rural en Andalucía.",
    },
    {
        "id": "bg-soft",
        "country": "BG",
        "nace_codes": ["62.10"],
        "offers": "We build booking engines and channel managers for hospitality.",
        "needs": "We seek investors for our expansion.",
    },
    # planted pair 5: a Romanian need, a French offer
    {
        "id": "ro-agri",
        "country": "RO",
        "nace_codes": ["01.11"],
        "languages": ["ro"],
        "needs": "Căutăm drone pentru monitorizarea culturilor agricole.",
        "offers": "Cultivăm cereale ecologice.",
    },
    {
        "id": "fr-drone",
        "country": "FR",
        "nace_codes": ["30.30"],
        "languages": ["fr"],
        "offers": "Drones de surveillance des cultures et cartographie agricole.",
        "needs": "Nous cherchons des distributeurs en Europe de l'Est.",
    },
    # decoys: the seekers' words, or sectors, without the offer they need
    {
        "id": "cz-decoy",
        "country": "CZ",
        "nace_codes": ["26.11"],
        "offers": "Circuit board design courses for students.",
        "needs": "We need printed circuit board assembly too.",
    },
    {
        "id": "hu-decoy",
        "country": "HU",
        "nace_codes": ["11.02"],
        "offers": "Nous vendons des bouteilles de vin en verre.",
        "needs": "We need cork stoppers as well.",
    },
]

PLANTED = {
    "ro-pcb": "de-ems",
    "fr-vin": "es-corcho",
    "pl-food": "lt-cold",
    "es-hotel": "bg-soft",
    "ro-agri": "fr-drone",
}
PAIR_KINDS = {
    "ro-pcb": "same_language",
    "pl-food": "same_language",
    "fr-vin": "cross_language",
    "es-hotel": "cross_language",
    "ro-agri": "cross_language",
}
