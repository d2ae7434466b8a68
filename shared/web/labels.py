"""Labels of stored values that several services' pages show: one table each, written
once here (services never import each other), as message ids translated per request.

Cooperation types are the Enterprise Europe Network's vocabulary
(``shared/contracts/membership.py: CooperationType``): membership's form and profile,
partner search's filters and results and brokerage profiles all show them by these
labels, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import TypeVar

from shared.contracts.membership import CooperationType
from shared.web import i18n
from shared.web.i18n import N_

E = TypeVar("E", bound=Enum)

COOPERATION_LABELS: dict[CooperationType, str] = {
    CooperationType.COMMERCIAL_AGREEMENT: N_("Commercial agreement"),
    CooperationType.COMMERCIAL_AGREEMENT_WITH_TECHNICAL_ASSISTANCE: N_(
        "Commercial agreement with technical assistance"
    ),
    CooperationType.TECHNICAL_COOPERATION: N_("Technical cooperation"),
    CooperationType.RESEARCH_COOPERATION: N_("Research cooperation"),
    CooperationType.JOINT_VENTURE: N_("Joint venture"),
    CooperationType.SUBCONTRACTING: N_("Subcontracting"),
    CooperationType.OUTSOURCING: N_("Outsourcing"),
    CooperationType.LICENSING: N_("Licensing"),
    CooperationType.MANUFACTURING_AGREEMENT: N_("Manufacturing agreement"),
    CooperationType.SERVICES_AGREEMENT: N_("Services agreement"),
    CooperationType.ACQUISITION_AGREEMENT: N_("Acquisition agreement"),
    CooperationType.FINANCIAL_AGREEMENT: N_("Financial agreement"),
    CooperationType.DISTRIBUTION_SERVICES: N_("Distribution services"),
}


def labelled(labels: Mapping[E, str], gettext: Callable[[str], str]) -> list[tuple[str, str]]:
    """A form's options: each stored value with its label in the reader's language."""
    return [(str(value.value), gettext(label)) for value, label in labels.items()]


def labelled_map(labels: Mapping[E, str], gettext: Callable[[str], str]) -> dict[str, str]:
    """Stored value → label in the reader's language."""
    return dict(labelled(labels, gettext))


def cooperation_label(value: str) -> str:
    """A cooperation type as the page being rendered says it (a template filter); a value
    outside the vocabulary is shown as it is."""
    try:
        return i18n.gettext(COOPERATION_LABELS[CooperationType(value)])
    except ValueError:
        return value
