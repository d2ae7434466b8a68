"""Invitations on a whole in-process node (real NATS and nx-27017).

As owner: invite an admitted partner to co-organise a shared event (a direct message to
it); its acceptance, handed to the handler the kit calls for an inbox message, adds it to
the event's co-organisers with a higher sequence. As partner: fr's invitation to promote
its event is answered in the API; accepted, the event is listed on the public site as
promoted. Bad input is a 4xx naming the field.
"""

from __future__ import annotations

from typing import Any

from nats.js import JetStreamContext

from services.events import invitations
from services.events.store import EventsUnitOfWork
from shared.contracts.events_requests import InvitationAnswered, InvitationKind, PartnerInvited
from shared.identity import NodeIdentity
from shared.service import ServiceKit
from tests.conftest import NodeUnderTest
from tests.integration.test_bus import eventually, federate_fr, publish
from tests.integration.test_event_inquiries import delivery, outbox_to
from tests.integration.test_events_api import EVENTS, create, fr, js, partner_event, shown
from tests.integration.test_events_pages import HTML, csrf_of, signed_in
from tests.integration.test_membership_api import assert_problem

NODE_SERVICES = ("membership", "events")  # what the `node` fixture starts (tests/conftest.py)

__all__ = ["fr", "js"]  # fixtures
INVITATIONS = "/api/events/invitations"


async def invite(node: NodeUnderTest, event: dict[str, Any], **body: Any) -> Any:
    payload = {"partners": ["fr"], "kind": "co-organise", **body}
    return await node.client.post(
        f"{EVENTS}/{event['id']}/invitations", json=payload, headers=node.editor
    )


async def test_a_partner_that_accepts_to_co_organise_is_shown_with_the_event(
    node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    await federate_fr(node, js, fr)
    kit: ServiceKit[EventsUnitOfWork] = node.kit("events")
    event = await create(node)
    sent = await invite(node, event, message="Shall we run it together?")
    assert sent.status_code == 201, sent.text
    (invitation,) = sent.json()["items"]
    letters = await outbox_to(kit, "fr")
    assert letters[-1]["subject"].startswith(
        f"direct.fr.{node.identity.node}.events.partner-invited.{invitation['id']}"
    )
    assert_problem(await invite(node, event), 409, "partners")

    answer = InvitationAnswered(
        id=invitation["id"],
        event_id=event["id"],
        kind=InvitationKind.CO_ORGANISE,
        accepted=True,
        answered_at="x",
    )
    await kit.transaction(
        lambda uow: invitations.on_invitation_answered(kit, answer, delivery("fr"), uow)
    )
    changed = (await node.client.get(f"{EVENTS}/{node.identity.node}/{event['id']}")).json()
    assert changed["co_organisers"] == ["fr"] and changed["sequence"] == event["sequence"] + 1
    await shown(node, lambda items: any(i.get("co_organisers") == ["fr"] for i in items))
    listed = await node.client.get(INVITATIONS, params={"side": "sent"}, headers=node.editor)
    assert [i["status"] for i in listed.json()["items"]] == ["accepted"]
    try:  # a second answer (or one from another node) is not taken
        await kit.transaction(
            lambda uow: invitations.on_invitation_answered(kit, answer, delivery("fr"), uow)
        )
    except LookupError:
        pass
    else:
        raise AssertionError("a second answer was taken")


async def test_bad_invitations_name_their_field(
    node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    await federate_fr(node, js, fr)
    event = await create(node)
    assert_problem(await invite(node, event, partners=["xx"]), 422, "partners")
    assert_problem(await invite(node, event, partners=[node.identity.node]), 422, "partners")
    assert_problem(await invite(node, event, partners=[]), 422, "partners")
    assert_problem(await invite(node, event, kind="sponsor"), 422, "kind")
    draft = await create(node, publish=False)
    assert_problem(await invite(node, draft), 422, "visibility")
    hidden = await create(node, visibility="node")
    assert_problem(await invite(node, hidden), 422, "visibility")
    assert_problem(await invite(node, {"id": "ro-nothing"}), 404, "id")
    unknown = await node.client.post(
        f"{INVITATIONS}/ro-nothing/answer", json={"accept": True}, headers=node.editor
    )
    assert_problem(unknown, 404, "id")
    anonymous = await node.client.post(f"{EVENTS}/{event['id']}/invitations", json={})
    assert anonymous.status_code == 401


async def test_an_accepted_invitation_to_promote_lists_the_event_on_the_public_site(
    node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    kit: ServiceKit[EventsUnitOfWork] = node.kit("events")
    await federate_fr(node, js, fr)
    await publish(js, partner_event(fr, 1))
    await shown(node, lambda items: "fr-webinar-1" in {i["id"] for i in items})
    invited = PartnerInvited(
        id="fr-I1", event_id="fr-webinar-1", kind=InvitationKind.PROMOTE, sent_at="x"
    )
    await kit.transaction(
        lambda uow: invitations.on_partner_invited(kit, invited, delivery("fr"), uow)
    )
    assert (await node.client.get("/api/events/promoted")).json()["items"] == []

    client = await signed_in(node)
    console = await client.get("/console/invitations", headers=HTML)
    assert "Webinaire cybersécurité" in console.text
    token = await csrf_of(client, "/console/invitations")
    answered = await client.post(
        "/console/invitations/fr-I1/answer", data={"accept": "yes", "csrf": token}, headers=HTML
    )
    assert answered.status_code == 303
    promoted = (await node.client.get("/api/events/promoted")).json()["items"]
    assert [(e["origin"], e["id"]) for e in promoted] == [("fr", "fr-webinar-1")]
    page = await node.client.get("/events/promoted", headers=HTML)
    assert "/events/fr/fr-webinar-1" in page.text
    letters = await outbox_to(kit, "fr")
    assert letters[-1]["subject"].endswith("events.invitation-answered.fr-I1")
    again = await node.client.post(
        f"{INVITATIONS}/fr-I1/answer", json={"accept": False}, headers=node.editor
    )
    assert_problem(again, 409, "accept")

    async def gone() -> bool:  # fr makes it alliance-only: off the public site
        items = (await node.client.get("/api/events/promoted")).json()["items"]
        return items == []

    await publish(js, partner_event(fr, 2, visibility="alliance"))
    await eventually(gone)
