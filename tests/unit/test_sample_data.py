"""Demo data for ``alliance demo``: valid request bodies, deterministic, and matchable."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from services.membership.domain import (
    ClusterDraft,
    NetworkProfileDraft,
    OrganizationDraft,
)
from services.membership.keys import (
    normalise_name,
)
from services.membership.sample_data import (
    NETWORKS,
    NODES,
    clusters,
    language_of,
    organizations,
    partner_pairs,
    topics_of,
    with_cluster_ids,
)
from shared.nace import is_valid_nace

SEEDS = [0, 1, 7, 2024]
COUNTRY = {"ro-clustero": "RO", "fr-franceclusters": "FR", "es-fenaeic": "ES"}
VAT_SHAPE = {"RO": r"RO\d{8}", "FR": r"FR[0-9A-Z]{11}", "ES": r"ES[0-9A-Z]{9}"}
LEGAL_FORMS = {"RO": ("SRL", "SA"), "FR": ("SAS", "SARL", "SA"), "ES": ("S.L.", "S.A.")}


def all_orgs(seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    return {node: organizations(node, seed) for node in NODES}


def on_example_host(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return ".example." in f".{host}" or host.endswith(".example")


def test_the_three_founding_nodes() -> None:
    assert set(NODES) == set(COUNTRY) == set(NETWORKS)


@pytest.mark.parametrize("node", NODES)
def test_network_profiles_are_valid_bodies_linking_the_other_two(node: str) -> None:
    body = NETWORKS[node]
    draft = NetworkProfileDraft.model_validate(body)
    assert draft.model_dump(mode="json") == body  # already canonical: sent as-is
    assert draft.country == COUNTRY[node]
    assert draft.description and draft.services_offered
    assert {link.node for link in draft.partner_links} == set(NODES) - {node}
    assert all(
        on_example_host(u) for u in [body["website"], *(p["url"] for p in body["partner_links"])]
    )


@pytest.mark.parametrize("node", NODES)
def test_clusters_are_valid_bodies_with_real_nace_sectors(node: str) -> None:
    bodies = clusters(node)
    assert 5 <= len(bodies) <= 8
    for body in bodies:
        draft = ClusterDraft.model_validate(body)
        assert draft.model_dump(mode="json") == body
        assert draft.sectors and all(is_valid_nace(code) for code in draft.sectors)
        assert draft.region and draft.website and on_example_host(draft.website)
        assert draft.members.smes > 0
    assert len({body["name"] for body in bodies}) == len(bodies)
    assert clusters(node) == bodies


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("node", NODES)
def test_organizations_are_valid_canonical_bodies(node: str, seed: int) -> None:
    bodies = organizations(node, seed)
    assert 25 <= len(bodies) <= 40
    country = COUNTRY[node]
    for body in bodies:
        draft = OrganizationDraft.model_validate(body)
        assert draft.model_dump(mode="json") == body
        assert draft.country == country
        assert draft.vat and re.fullmatch(VAT_SHAPE[country], draft.vat)
        assert draft.legal_name.endswith(LEGAL_FORMS[country])
        assert 1 <= len(draft.nace_codes) <= 3
        assert all(is_valid_nace(code) and len(code) == 5 for code in draft.nace_codes)
        assert draft.technologies and draft.offers and draft.needs
        assert draft.cooperation_types and draft.countries_of_interest and draft.size_class
        assert country not in draft.countries_of_interest
        assert "en" in draft.languages
        assert draft.city and draft.website and on_example_host(draft.website)
        (contact,) = draft.contacts
        assert on_example_host(f"https://{contact.email.split('@')[1]}")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("node", NODES)
def test_no_duplicate_vat_or_legal_name_within_a_node(node: str, seed: int) -> None:
    bodies = organizations(node, seed)
    for key in ("vat", "legal_name", "website"):
        assert len({body[key] for body in bodies}) == len(bodies), key
    assert len({normalise_name(body["legal_name"]) for body in bodies}) == len(bodies)


@pytest.mark.parametrize("node", NODES)
def test_generation_is_deterministic_per_seed(node: str) -> None:
    assert organizations(node, 42) == organizations(node, 42)
    assert organizations(node) == organizations(node, 0)
    assert organizations(node, 1) != organizations(node, 2)


def test_nodes_do_not_share_vat_numbers() -> None:
    vats = [body["vat"] for bodies in all_orgs().values() for body in bodies]
    assert len(set(vats)) == len(vats)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("node", NODES)
def test_visibility_and_consent_mix(node: str, seed: int) -> None:
    bodies = organizations(node, seed)
    seen = [body["visibility"] for body in bodies]
    assert seen.count("alliance") > len(bodies) / 2
    assert seen.count("public") >= 3
    assert 1 <= seen.count("node") <= seen.count("public")
    consented = sum(body["contacts"][0]["consent"] for body in bodies) / len(bodies)
    assert 0.6 <= consented <= 0.8


@pytest.mark.parametrize("node", NODES)
def test_organisations_name_their_clusters_and_the_caller_maps_them_to_ids(node: str) -> None:
    names = {body["name"] for body in clusters(node)}
    bodies = organizations(node)
    assert all(body["clusters"] and set(body["clusters"]) <= names for body in bodies)
    assert {name for body in bodies for name in body["clusters"]} == names  # every cluster used
    ids = {name: f"c-{index}" for index, name in enumerate(sorted(names))}
    mapped = with_cluster_ids(bodies[0], ids)
    assert mapped["clusters"] == [ids[name] for name in bodies[0]["clusters"]]
    assert bodies[0]["clusters"] != mapped["clusters"]  # the original is left alone
    OrganizationDraft.model_validate(mapped)
    assert with_cluster_ids(bodies[0], {})["clusters"] == []


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("node", NODES)
def test_needs_in_each_node_match_offers_of_another_node(node: str, seed: int) -> None:
    orgs = all_orgs(seed)
    elsewhere = {
        topic for other in NODES if other != node for body in orgs[other] for topic in offers(body)
    }
    matched = {topic for body in orgs[node] for topic in needs(body) & elsewhere}
    assert len(matched) >= 3, matched
    needing = [body for body in orgs[node] if needs(body) & elsewhere]
    assert len(needing) >= len(orgs[node]) // 2


def offers(body: dict[str, Any]) -> set[str]:
    return topics_of(body)[0]


def needs(body: dict[str, Any]) -> set[str]:
    return topics_of(body)[1]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("node", NODES)
def test_texts_are_in_the_companys_own_language_a_few_in_english(node: str, seed: int) -> None:
    bodies = organizations(node, seed)
    native = COUNTRY[node].lower()
    written = [language_of(body) for body in bodies]
    assert set(written) == {native, "en"}
    assert written.count(native) >= 0.7 * len(bodies)
    for body, language in zip(bodies, written, strict=True):
        assert language in body["languages"]
        assert offers(body) and needs(body) and not offers(body) & needs(body)
        assert offers(body) <= set(body["technologies"])


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_pairs_complement_each_other_both_ways_across_borders_and_languages(
    seed: int,
) -> None:
    orgs = all_orgs(seed)
    named = {(node, body["legal_name"]): body for node in NODES for body in orgs[node]}
    pairs = partner_pairs(seed)
    assert len(pairs) >= 4
    assert len({side for pair in pairs for side in pair}) == 2 * len(pairs)  # one pair each
    across_languages = 0
    for a, b in pairs:
        first, second = named[a], named[b]
        assert a[0] != b[0] and first["country"] != second["country"]
        assert offers(first) & needs(second) and offers(second) & needs(first)
        assert second["country"] in first["countries_of_interest"]
        assert first["country"] in second["countries_of_interest"]
        assert set(first["cooperation_types"]) & set(second["cooperation_types"])
        assert "node" not in (first["visibility"], second["visibility"])
        across_languages += language_of(first) != language_of(second)
    assert across_languages >= 4
