"""Names that look the same are the same organisation: invisible characters, soft hyphens
and letters of another script that look like the name's own (UTS #39 confusables)."""

from __future__ import annotations

import pytest

from services.membership.keys import duplicate_key, normalise_name
from tests.unit.test_membership_inputs import org

CYRILLIC_A, CYRILLIC_ES, CYRILLIC_ER, GREEK_OMICRON = "\u0410", "\u0421", "\u0420", "\u039f"


@pytest.mark.parametrize(
    "spelling",
    [
        f"{CYRILLIC_A}cme Robotics SRL",  # a Cyrillic capital A in a Latin name
        f"ACME ROBOTI{CYRILLIC_ES}S S.R.L.",
        f"Acme R{GREEK_OMICRON.lower()}botics SRL",  # a Greek omicron
        "Ac\u200bme Robotics SRL",  # zero-width space
        "Acme Ro\u00adbotics SRL",  # soft hyphen
        "Ac\u200dme\u2060 Robotics\ufeff SRL",  # zero-width joiner, word joiner, BOM
        "\u200eAcme Robotics SRL\u200f",  # direction marks
    ],
)
def test_look_alike_spellings_have_the_same_name_key(spelling: str) -> None:
    assert normalise_name(spelling) == "acme robotics"
    assert duplicate_key(org(legal_name=spelling)) == "name:RO:acme robotics"


def test_names_in_one_other_script_are_kept() -> None:
    assert normalise_name("Софтуер Системи") == "софтуер системи"
    assert normalise_name("Αλφα Βήτα") == "αλφα βητα"


def test_a_latin_letter_in_a_cyrillic_name_reads_cyrillic() -> None:
    cyrillic = "\u0421\u043e\u0444\u0442\u0443\u0435\u0440"  # Softuer
    with_a_latin_o = cyrillic.replace("\u043e", "o")
    assert normalise_name(with_a_latin_o) == normalise_name(cyrillic) == cyrillic.casefold()


def test_accents_and_legal_forms_are_still_ignored() -> None:
    assert normalise_name("Zürich Robotik GmbH") == "zurich robotik"
    assert normalise_name(f"{CYRILLIC_ER}obotics") == "pobotics"  # Er looks like P, not R
