"""A person's erasure (GDPR) from an organisation: what is kept, what is announced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.membership.domain import Organization, OrganizationDraft
from shared.contracts import membership as contract
from shared.contracts.base import Visibility
from shared.erasure import PersonErasure

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
ANA = {"name": "Ana Pop", "email": "Ana.Pop@Acme.example.ro", "consent": True}
ION = {"name": "Ion Ionescu", "email": "ion@acme.example.ro", "consent": True}


def organization(visibility: Visibility = Visibility.ALLIANCE) -> Organization:
    draft = OrganizationDraft(
        legal_name="Acme SRL", country="RO", visibility=visibility, contacts=[ANA, ION]
    )
    org = Organization.register("ro-1", draft, NOW)
    org.collect_events()
    return org


def test_erasing_a_person_announces_the_organisation_without_them() -> None:
    org = organization()
    assert org.erase_contact("  ana.pop@acme.EXAMPLE.ro ", NOW + timedelta(minutes=1))
    assert [c.name for c in org.contacts] == ["Ion Ionescu"]
    assert org.version == 2
    [change] = org.collect_events()
    assert isinstance(change.event, contract.OrganizationRevised)
    assert isinstance(change.shared, contract.OrganizationRevised)
    for event in (change.event, change.shared):
        assert "Ana" not in event.model_dump_json()


def test_a_node_only_organisation_announces_only_on_the_local_channel() -> None:
    org = organization(Visibility.NODE)
    assert org.erase_contact(ANA["email"], NOW)
    [change] = org.collect_events()
    assert change.shared is None and "Ana" not in change.event.model_dump_json()


def test_an_organisation_without_the_person_is_left_alone() -> None:
    org = organization()
    assert not org.erase_contact("nobody@example.org", NOW)
    assert org.version == 1 and not org.collect_events() and len(org.contacts) == 2


def test_a_deleted_organisation_loses_the_person_without_an_event() -> None:
    """Its last event is a withdrawal that holds no data; only the stored record had it."""
    org = organization()
    org.delete(NOW)
    org.collect_events()
    assert org.erase_contact(ANA["email"], NOW + timedelta(minutes=1))
    assert [c.name for c in org.contacts] == ["Ion Ionescu"]
    assert not org.collect_events() and org.version == 2


def test_an_erasure_request_needs_an_email_address() -> None:
    with pytest.raises(ValidationError):
        PersonErasure.model_validate({"email": "not an address"})
    with pytest.raises(ValidationError):
        PersonErasure.model_validate({"email": "a@b.example", "name": "extra"})
