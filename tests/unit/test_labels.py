"""The one table of cooperation-type labels every page uses (shared/web/labels.py)."""

from __future__ import annotations

from shared.contracts.membership import CooperationType
from shared.web import i18n
from shared.web.labels import COOPERATION_LABELS, cooperation_label, labelled
from shared.web.layer import WEB_DIR


def test_every_cooperation_type_has_a_label_in_each_language() -> None:
    assert set(COOPERATION_LABELS) == set(CooperationType)
    languages = i18n.load_languages([WEB_DIR / "locales"])
    french = dict(labelled(COOPERATION_LABELS, languages["fr"].gettext))
    spanish = dict(labelled(COOPERATION_LABELS, languages["es"].gettext))
    assert french["subcontracting"] == "Sous-traitance"
    assert spanish["technical_cooperation"] == "Cooperación técnica"
    for value, label in COOPERATION_LABELS.items():
        assert french[value.value] != label and spanish[value.value] != label


def test_the_template_filter_speaks_the_pages_language_and_keeps_odd_values() -> None:
    languages = i18n.load_languages([WEB_DIR / "locales"])
    with i18n.speaking(languages["es"]):
        assert cooperation_label("subcontracting") == "Subcontratación"
        assert cooperation_label("friendship") == "friendship"
    assert cooperation_label("joint_venture") == "Joint venture"
