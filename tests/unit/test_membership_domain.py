"""Membership domain rules: validation, lifecycle, what may leave the node, and keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.membership.domain import (
    AggregateDeleted,
    Cluster,
    ClusterDraft,
    ContactPerson,
    CooperationType,
    DomainError,
    Duplicate,
    MemberCounts,
    NetworkProfile,
    NetworkProfileDraft,
    Organization,
    OrganizationDraft,
    PartnerLink,
)
from services.membership.keys import (
    DuplicateIndex,
    check_duplicate,
    duplicate_keys,
    match_keys,
    normalise_name,
    query_keys,
)
from shared import errors
from shared.contracts import membership as contract
from shared.contracts.base import Visibility
from shared.nace import is_valid_nace, nace_title, normalise_nace

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def draft(**changes: Any) -> OrganizationDraft:
    fields: dict[str, Any] = {"legal_name": "ACME Robotics S.R.L.", "country": "RO"}
    return OrganizationDraft(**{**fields, **changes})


def error_of(exc: pytest.ExceptionInfo[ValidationError]) -> tuple[tuple[Any, ...], str]:
    (error,) = exc.value.errors()
    return error["loc"], error["msg"]


# --- NACE -------------------------------------------------------------------------------


def test_nace_division_group_and_class_are_accepted() -> None:
    assert draft(nace_codes=["62", "62.1", "62.10"]).nace_codes == ["62", "62.1", "62.10"]


def test_nace_codes_typed_without_dot_are_normalised_and_deduplicated() -> None:
    assert normalise_nace(" 6210 ") == "62.10"
    assert normalise_nace("621") == "62.1"
    assert draft(nace_codes=["6210", "62.10"]).nace_codes == ["62.10"]


def test_unknown_nace_code_is_rejected_with_the_code_in_the_message() -> None:
    with pytest.raises(ValidationError) as exc:
        draft(nace_codes=["62.10", "99.99"])
    loc, msg = error_of(exc)
    assert loc == ("nace_codes", 1)
    assert "'99.99'" in msg


def test_nace_list_is_rev_2_1_without_sections_or_national_levels() -> None:
    assert is_valid_nace("62.10")
    assert not is_valid_nace("62.01")  # Rev. 2 computer programming, renumbered in 2.1
    assert not is_valid_nace("62.100")  # national fifth level
    assert not is_valid_nace("J")
    assert not is_valid_nace("j")
    assert nace_title("62.10") == "Computer programming activities"
    assert nace_title("J") is not None
    assert nace_title("99.99") is None


def test_cluster_sectors_use_the_same_nace_rules() -> None:
    assert ClusterDraft(name="Cluster", sectors=["2611"]).sectors == ["26.11"]
    with pytest.raises(ValidationError, match="'J'"):
        ClusterDraft(name="Cluster", sectors=["J"])


# --- field validation ---------------------------------------------------------------------


def test_country_is_an_iso_alpha2_code() -> None:
    assert draft(country="ro").country == "RO"
    with pytest.raises(ValidationError) as exc:
        draft(country="XX")
    loc, msg = error_of(exc)
    assert loc == ("country",)
    assert "'XX'" in msg


def test_countries_of_interest_are_validated_each() -> None:
    assert draft(countries_of_interest=["de", "FR", "DE"]).countries_of_interest == ["DE", "FR"]
    with pytest.raises(ValidationError):
        draft(countries_of_interest=["DE", "XX"])


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("HTTPS://Example.COM/", "https://example.com"),
        ("http://www.Acme.ro/About/", "http://www.acme.ro/About"),
        ("https://acme.ro:8443/x?y=1", "https://acme.ro:8443/x?y=1"),
    ],
)
def test_website_is_normalised(given: str, stored: str) -> None:
    assert draft(website=given).website == stored


@pytest.mark.parametrize("given", ["acme.ro", "ftp://acme.ro", "https://", "https://u:p@acme.ro"])
def test_website_must_be_a_plain_http_url(given: str) -> None:
    with pytest.raises(ValidationError) as exc:
        draft(website=given)
    assert error_of(exc)[0] == ("website",)


def test_vat_is_normalised_to_upper_case_without_separators() -> None:
    assert draft(vat="ro 12.345-674").vat == "RO12345674"


@pytest.mark.parametrize("given", ["12345678", "RO1", "RO12345678901234"])
def test_vat_without_country_prefix_or_of_wrong_length_is_rejected(given: str) -> None:
    with pytest.raises(ValidationError) as exc:
        draft(vat=given)
    assert error_of(exc)[0] == ("vat",)


def test_technologies_are_lower_case_and_unique_languages_are_two_letters() -> None:
    org = draft(technologies=[" AI ", "ai", "Robotics"], languages=["EN", "ro"])
    assert org.technologies == ["ai", "robotics"]
    assert org.languages == ["en", "ro"]
    with pytest.raises(ValidationError):
        draft(languages=["eng"])


def test_legal_name_is_stripped_and_must_not_be_blank() -> None:
    assert draft(legal_name="  Acme  ").legal_name == "Acme"
    with pytest.raises(ValidationError):
        draft(legal_name="   ")


@pytest.mark.parametrize(
    "changes",
    [
        {"legal_name": "x" * 201},
        {"offers": "x" * 4001},
        {"technologies": [f"t{i}" for i in range(51)]},
        {"technologies": ["x" * 81]},
        {"cooperation_types": ["friendship"]},
        {"size_class": "huge"},
        {"homepage": "https://acme.ro"},
    ],
)
def test_limits_and_unknown_fields_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        draft(**changes)


def test_enums_accept_their_wire_values() -> None:
    org = draft(cooperation_types=["research_cooperation"], size_class="small")
    assert org.cooperation_types == [CooperationType.RESEARCH_COOPERATION]
    assert org.visibility is Visibility.ALLIANCE


def test_contact_email_and_member_counts_are_checked() -> None:
    with pytest.raises(ValidationError):
        ContactPerson(name="Ana", email="ana-at-acme.ro")
    with pytest.raises(ValidationError):
        MemberCounts(smes=-1)
    assert ContactPerson(name="Ana", email="ana@acme.ro").consent is False


# --- lifecycle --------------------------------------------------------------------------


def test_register_revise_delete_bump_the_version() -> None:
    org = Organization.register("org-1", draft(), NOW)
    assert (org.id, org.version, org.deleted) == ("org-1", 1, False)
    later = NOW + timedelta(hours=1)
    org.revise(draft(city="Cluj-Napoca"), later)
    assert (org.version, org.city, org.updated_at) == (2, "Cluj-Napoca", later)
    org.delete(later)
    assert (org.version, org.deleted) == (3, True)


def test_a_deleted_organisation_cannot_be_revised_or_deleted_again() -> None:
    org = Organization.register("org-1", draft(), NOW)
    org.delete(NOW)
    with pytest.raises(AggregateDeleted) as exc:
        org.revise(draft(), NOW)
    assert isinstance(exc.value, errors.Gone)  # entrypoints map shared.errors to HTTP
    assert isinstance(exc.value, DomainError)
    assert isinstance(exc.value, ValueError)
    with pytest.raises(AggregateDeleted):
        org.delete(NOW)
    assert org.version == 2


def test_times_must_carry_a_zone() -> None:
    with pytest.raises(ValidationError):
        Organization.register("org-1", draft(), datetime(2025, 3, 1))
    org = Organization.register("org-1", draft(), NOW)
    with pytest.raises(ValueError, match="timezone"):
        org.revise(draft(), datetime(2025, 3, 2))


def test_cluster_lifecycle() -> None:
    cluster = Cluster.register("c-1", ClusterDraft(name="Transylvania IT"), NOW)
    cluster.revise(ClusterDraft(name="Transilvania IT", members=MemberCounts(smes=40)), NOW)
    assert (cluster.version, cluster.name, cluster.members.smes) == (2, "Transilvania IT", 40)
    cluster.delete(NOW)
    with pytest.raises(AggregateDeleted):
        cluster.revise(ClusterDraft(name="x"), NOW)


def test_network_profile_starts_from_the_node_name_and_is_revised() -> None:
    profile = NetworkProfile.initial("ro-clustero", "CLUSTERO", "ro")
    assert (profile.id, profile.name, profile.country, profile.version) == (
        "ro-clustero",
        "CLUSTERO",
        "RO",
        1,
    )
    link = PartnerLink(name="Clusters Hungary", url="https://Clusters.HU/", node="hu")
    profile.revise(
        NetworkProfileDraft(name="Romanian Clusters", country="RO", partner_links=[link]), NOW
    )
    assert profile.version == 2
    assert profile.partner_links[0].url == "https://clusters.hu"


# --- what each change announces ----------------------------------------------------------


def announced(aggregate: Organization | Cluster) -> list[tuple[str, str | None]]:
    """(local event, alliance event or None) class names of what was recorded."""
    return [
        (type(change.event).__name__, type(change.shared).__name__ if change.shared else None)
        for change in aggregate.collect_events()
    ]


def test_a_registration_records_its_full_event_and_the_alliances_view() -> None:
    contacts = [
        ContactPerson(name="Ana", email="ana@acme.ro", consent=True),
        ContactPerson(name="Dan", email="dan@acme.ro"),
    ]
    org = Organization.register("org-1", draft(contacts=contacts), NOW)
    [change] = org.collect_events()
    assert isinstance(change.event, contract.OrganizationRegistered)
    assert isinstance(change.shared, contract.OrganizationRegistered)
    assert change.version == 1
    assert [c.email for c in change.event.contacts] == ["ana@acme.ro", "dan@acme.ro"]
    assert [c.email for c in change.shared.contacts] == ["ana@acme.ro"]
    assert change.shared.legal_name == "ACME Robotics S.R.L."
    assert change.shared.updated_at == "2025-03-01T12:00:00Z"
    assert len(org.contacts) == 2  # the aggregate itself is untouched
    assert org.collect_events() == []  # handed over once


def test_the_alliance_hears_of_a_record_only_while_it_is_shared() -> None:
    org = Organization.register("org-1", draft(visibility="node"), NOW)
    org.revise(draft(visibility="alliance"), NOW)
    org.revise(draft(visibility="public"), NOW)
    org.revise(draft(visibility="node"), NOW)
    org.revise(draft(visibility="node", city="Arad"), NOW)
    org.delete(NOW)
    assert announced(org) == [
        ("OrganizationRegistered", None),
        ("OrganizationRevised", "OrganizationRevised"),
        ("OrganizationRevised", "OrganizationRevised"),
        ("OrganizationRevised", "OrganizationWithdrawn"),
        ("OrganizationRevised", None),
        ("OrganizationWithdrawn", None),  # never told again: it already forgot it
    ]


def test_withdrawals_say_why() -> None:
    org = Organization.register("org-1", draft(), NOW)
    org.revise(draft(visibility="node"), NOW)
    org.revise(draft(), NOW)
    org.delete(NOW)
    changes = org.collect_events()
    restricted, deleted = changes[1].shared, changes[3].shared
    assert isinstance(restricted, contract.OrganizationWithdrawn)
    assert isinstance(deleted, contract.OrganizationWithdrawn)
    assert (restricted.reason, deleted.reason) == ("restricted", "deleted")
    assert [change.version for change in changes] == [1, 2, 3, 4]


def test_clusters_and_the_profile_announce_themselves() -> None:
    hidden = Cluster.register("c-1", ClusterDraft(name="c", visibility=Visibility.NODE), NOW)
    shared = Cluster.register("c-2", ClusterDraft(name="c"), NOW)
    shared.delete(NOW)
    assert announced(hidden) == [("ClusterRegistered", None)]
    assert announced(shared) == [
        ("ClusterRegistered", "ClusterRegistered"),
        ("ClusterWithdrawn", "ClusterWithdrawn"),
    ]
    profile = NetworkProfile.initial("ro-clustero", "CLUSTERO", "RO")
    profile.revise(NetworkProfileDraft(name="Romanian Clusters", country="RO"), NOW)
    [change] = profile.collect_events()
    assert isinstance(change.shared, contract.NetworkProfileRevised)
    assert (change.shared.id, change.shared.name, change.version) == (
        "ro-clustero",
        "Romanian Clusters",
        2,
    )


# --- keys --------------------------------------------------------------------------------


def test_legal_forms_accents_and_punctuation_do_not_change_the_name_key() -> None:
    assert normalise_name("ACME Robotics S.R.L.") == "acme robotics"
    assert normalise_name("Acme Robotics, Sp. z o.o.") == "acme robotics"
    assert normalise_name("UAB Šviesa") == "sviesa"
    assert normalise_name("Électronique Générale SAS") == "electronique generale"
    assert normalise_name("SA") == "sa"  # never reduced to nothing


def test_match_keys_and_query_keys_meet_on_the_name() -> None:
    keys = match_keys("ACME Robotics S.R.L.", "RO 12345678", "https://www.acme.ro/en/")
    assert keys == {"name:acme robotics", "vat:RO12345678", "web:acme.ro"}
    assert query_keys("acme robotics") == {"name:acme robotics"}
    assert query_keys("acme robotics") <= keys


def test_query_keys_read_a_vat_number_or_a_website() -> None:
    assert "vat:RO12345678" in query_keys("ro 1234 5678")
    assert query_keys("www.acme.ro") == {"web:acme.ro"}
    assert "web:acme.ro" in query_keys("https://acme.ro/contact")
    assert not any(key.startswith("vat:") for key in query_keys("acme"))
    assert query_keys("   ") == set()


def test_duplicate_key_is_vat_when_known_else_name_and_country() -> None:
    assert duplicate_keys(draft(vat="RO12345674")) == {"vat:RO12345674"}
    assert duplicate_keys(draft()) == {"name:RO:acme robotics"}
    assert duplicate_keys(draft()) != duplicate_keys(draft(country="HU"))


def test_check_duplicate_among_live_organisations() -> None:
    existing = Organization.register("org-1", draft(legal_name="Acme Robotics SRL"), NOW)
    with pytest.raises(errors.Duplicate) as exc:
        check_duplicate(draft(), [existing])
    assert Duplicate is errors.Duplicate
    assert exc.value.field == "legal_name"
    check_duplicate(draft(), [existing], own_id="org-1")  # revising itself is fine
    existing.delete(NOW)
    check_duplicate(draft(), [existing])  # a deleted one frees the name


def test_a_duplicate_index_checks_many_drafts_against_each_other() -> None:
    taken = DuplicateIndex([Organization.register("org-1", draft(vat="RO12345674"), NOW)])
    with pytest.raises(errors.Duplicate, match="org-1"):
        taken.check(draft(legal_name="Other", vat="RO 1234 5674"))
    taken.check(draft(vat="RO12345674"), own_id="org-1")
    fresh = Organization.register("org-2", draft(legal_name="Beta SRL"), NOW)
    taken.add(fresh)
    with pytest.raises(errors.Duplicate, match="org-2") as exc:
        taken.check(draft(legal_name="BETA S.R.L."))
    assert exc.value.field == "legal_name"
