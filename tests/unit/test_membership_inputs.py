"""Input rules of the membership drafts: VAT numbers per country (python-stdnum), bounded
member counts, NUL characters, NACE Rev. 2 codes converted to Rev. 2.1 with a notice."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.membership.domain import MAX_MEMBERS, ClusterDraft, Notice, OrganizationDraft
from shared.nace import REV2_TO_REV21, is_valid_nace


def org(**fields: Any) -> OrganizationDraft:
    return OrganizationDraft.model_validate({"legal_name": "Acme", "country": "RO", **fields})


def refusal(exc: pytest.ExceptionInfo[ValidationError]) -> tuple[tuple[Any, ...], str]:
    error = exc.value.errors()[0]
    return error["loc"], error["msg"].removeprefix("Value error, ")


# -- VAT ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("ro 185 472 90", "RO18547290"),
        ("DE 136.695.976", "DE136695976"),
        ("FR40303265045", "FR40303265045"),
        ("el094259216", "EL094259216"),  # Greece's prefix is EL, not GR
        ("ESA13585625", "ESA13585625"),
        ("GB 980 7806 84", "GB980780684"),  # outside the EU: stdnum's module for the country
        ("NO 995 525 828 MVA", "NO995525828MVA"),
    ],
)
def test_valid_vat_numbers_of_many_countries_are_kept_normalised(given: str, stored: str) -> None:
    assert org(vat=given).vat == stored


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("RO12345678", ["Romania", "check digit", "RO and 2 to 10 digits"]),
        ("DE1234", ["Germany", "length", "DE and 9 digits"]),
        ("NL123456789B0", ["Netherlands", "NL and 9 digits, B and 2 digits"]),
        ("XX12345678", ["country prefix", "EL for Greece"]),
        ("12345678", ["country prefix"]),
    ],
)
def test_an_invalid_vat_number_is_refused_naming_the_country_and_its_format(
    given: str, words: list[str]
) -> None:
    with pytest.raises(ValidationError) as exc:
        org(vat=given)
    loc, reason = refusal(exc)
    assert loc == ("vat",)
    for word in words:
        assert word in reason, reason


# -- member counts -----------------------------------------------------------------------


@pytest.mark.parametrize("count", [2**63, 2**64, MAX_MEMBERS + 1, -1])
def test_member_counts_are_bounded(count: int) -> None:
    with pytest.raises(ValidationError) as exc:
        ClusterDraft.model_validate({"name": "C", "members": {"smes": count}})
    assert refusal(exc)[0] == ("members", "smes")


def test_a_large_but_real_member_count_is_kept() -> None:
    draft = ClusterDraft.model_validate({"name": "C", "members": {"smes": MAX_MEMBERS}})
    assert draft.members.smes == MAX_MEMBERS


# -- NUL characters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"legal_name": "Ac\x00me"}, ("legal_name",)),
        ({"needs": "\x00"}, ("needs",)),
        ({"technologies": ["ok", "n\x00"]}, ("technologies",)),
        ({"contacts": [{"name": "A\x00", "email": "a@b.co"}]}, ("contacts", 0, "name")),
        ({"contacts": [{"name": "A", "email": "a\x00@b.co"}]}, ("contacts", 0, "email")),
    ],
)
def test_no_text_field_takes_a_nul_character(fields: dict[str, Any], loc: tuple[Any, ...]) -> None:
    with pytest.raises(ValidationError) as exc:
        org(**fields)
    assert refusal(exc) == (loc, "must not contain NUL characters")


# -- NACE Rev. 2 -------------------------------------------------------------------------


def test_the_conversion_table_maps_retired_rev2_codes_to_rev21_codes() -> None:
    for old, new in REV2_TO_REV21.items():
        assert not is_valid_nace(old), old
        assert new and all(is_valid_nace(code) for code in new), (old, new)


def test_a_rev2_code_with_one_counterpart_is_stored_as_rev21_with_a_notice() -> None:
    draft = org(nace_codes=["62.01", "6202", "62.10", "28"])
    assert draft.nace_codes == ["62.10", "62.20", "28"]  # 62.01 and 62.10 are one code now
    assert draft.notices == [
        Notice("nace_codes", "NACE Rev. 2 code 62.01 is 62.10 in NACE Rev. 2.1, stored as such"),
        Notice("nace_codes", "NACE Rev. 2 code 62.02 is 62.20 in NACE Rev. 2.1, stored as such"),
    ]
    cluster = ClusterDraft.model_validate({"name": "C", "sectors": ["72.19"]})
    assert cluster.sectors == ["72.10"]
    assert [notice.field for notice in cluster.notices] == ["sectors"]


def test_rev21_codes_give_no_notice() -> None:
    assert org(nace_codes=["62.10", "72"]).notices == []


def test_a_rev2_code_split_in_rev21_is_refused_naming_the_candidates() -> None:
    with pytest.raises(ValidationError) as exc:
        org(nace_codes=["74.10"])
    loc, reason = refusal(exc)
    assert loc == ("nace_codes", 0)
    assert "74.11, 74.12, 74.13, 74.14" in reason


def test_an_unknown_code_is_refused_as_before() -> None:
    with pytest.raises(ValidationError) as exc:
        org(nace_codes=["99.99"])
    assert refusal(exc)[1].startswith("unknown NACE Rev. 2.1 code '99.99'")
