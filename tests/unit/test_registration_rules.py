"""The owner node's registration rules (services/events/registration.py), as pure functions:
examples for each rule, then hypothesis over random interleavings of every operation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from pydantic import ValidationError

from services.events.fees import FeeRules, PartnerDiscount, TicketType
from services.events.registration import (
    Decided,
    EventStatus,
    EventTerms,
    Membership,
    Outcome,
    Refusal,
    Registrant,
    RegistrationRequest,
    SeatBook,
    accept_offer,
    cancel,
    cancel_event,
    change_capacity,
    decline_offer,
    expire_offers,
    leave_waiting_list,
    quote,
    register,
)
from shared.errors import DomainError, NotFound

NOW = datetime(2026, 11, 15, 10, 0, tzinfo=UTC)
DATE = "2026-12-10"
FEES = FeeRules(
    tickets=[
        TicketType(code="standard", name="Standard", fee=150_00),
        TicketType(code="student", name="Student", fee=33_33),
    ],
    partner_discount=PartnerDiscount.PERCENT,
    discount_percent=20,
)
TERMS = EventTerms(
    event_id="ev1",
    owner_network="ro",
    status=EventStatus.PUBLISHED,
    occurrences=frozenset({DATE, "2027-01-14"}),
    registration_opens=datetime(2026, 11, 1, tzinfo=UTC),
    registration_closes=datetime(2026, 12, 1, tzinfo=UTC),
    fees=FEES,
)
ACME_FR = Membership(network="fr", organization_id="o1", organization_name="Acme SAS")


def book(capacity: int | None = 20, occurrence: str = DATE) -> SeatBook:
    return SeatBook(event_id="ev1", occurrence=occurrence, capacity=capacity)


def request(n: int, party: int = 1, node: str = "fr", **fields: Any) -> RegistrationRequest:
    """Request ``r<n>`` of person ``p<n>`` on ``node``."""
    values: dict[str, Any] = {
        "id": f"r{n}",
        "event_id": "ev1",
        "occurrence": DATE,
        "registrant": Registrant(node=node, id=f"p{n}"),
        "party": party,
    }
    return RegistrationRequest.model_validate(values | fields)


def run(seats: SeatBook, *requests: RegistrationRequest, at: datetime = NOW) -> Decided:
    """Register each request in order; the last result, with every decision made."""
    decisions = []
    for each in requests:
        decided = register(seats, each, TERMS, at)
        seats, decisions = decided.book, [*decisions, *decided.decisions]
    return Decided(book=seats, decisions=tuple(decisions))


def status(seats: SeatBook, request_id: str) -> Outcome:
    return seats.find(request_id).status


# --- seats ----------------------------------------------------------------------------


def test_confirms_while_seats_last_then_waitlists_with_a_position() -> None:
    decided = run(book(2), request(1), request(2), request(3), request(4))
    assert [d.outcome for d in decided.decisions] == [
        Outcome.CONFIRMED,
        Outcome.CONFIRMED,
        Outcome.WAITLISTED,
        Outcome.WAITLISTED,
    ]
    assert decided.decisions[0].reason == "confirmed: 1 place"
    assert decided.decisions[3].reason == "waitlisted: position 2"
    assert decided.decisions[3].position == 2
    assert decided.book.free() == 0 and len(decided.book.waiting()) == 2


def test_150_requests_for_20_seats_from_three_nodes_in_arrival_order() -> None:
    requests = [request(n, node=("ro", "fr", "es")[n % 3]) for n in range(150)]
    decided = run(book(20), *requests)
    assert [d.request_id for d in decided.decisions if d.outcome is Outcome.CONFIRMED] == [
        f"r{n}" for n in range(20)
    ]
    waitlisted = [d for d in decided.decisions if d.outcome is Outcome.WAITLISTED]
    assert [d.request_id for d in waitlisted] == [f"r{n}" for n in range(20, 150)]
    assert [d.position for d in waitlisted] == list(range(1, 131))
    assert decided.book.seats(Outcome.CONFIRMED) == 20


def test_a_group_is_all_or_nothing() -> None:
    decided = run(book(4), request(1, party=3), request(2, party=2))
    assert status(decided.book, "r2") is Outcome.WAITLISTED
    assert decided.book.free() == 1
    assert decided.decisions[1].reason == "waitlisted: position 1"


def test_unlimited_capacity_confirms_everyone() -> None:
    decided = run(book(None), *(request(n, party=50) for n in range(40)))
    assert {d.outcome for d in decided.decisions} == {Outcome.CONFIRMED}
    assert decided.book.free() is None


def test_each_date_of_a_series_has_its_own_seats() -> None:
    first = run(book(1), request(1), request(2))
    later = run(book(1, "2027-01-14"), request(2, occurrence="2027-01-14"))
    assert status(first.book, "r2") is Outcome.WAITLISTED
    assert status(later.book, "r2") is Outcome.CONFIRMED


def test_a_book_of_another_date_is_a_handler_error() -> None:
    with pytest.raises(ValueError, match="own event and date"):
        register(book(5, "2027-01-14"), request(1), TERMS, NOW)
    with pytest.raises(ValueError, match="own event and date"):
        register(book(5), request(1), _terms(event_id="ev2"), NOW)


# --- refusals -------------------------------------------------------------------------


def _terms(**changes: Any) -> EventTerms:
    return TERMS.model_copy(update=changes)


@pytest.mark.parametrize(
    ("terms", "the_request", "refusal", "reason"),
    [
        (_terms(status=EventStatus.DRAFT), request(9), Refusal.NOT_PUBLISHED, "not published"),
        (_terms(status=EventStatus.CANCELLED), request(9), Refusal.CANCELLED, "is cancelled"),
        (_terms(status=EventStatus.POSTPONED), request(9), Refusal.POSTPONED, "is postponed"),
        (
            _terms(registration_opens=datetime(2026, 11, 20, 9, 30, tzinfo=UTC)),
            request(9),
            Refusal.NOT_OPEN,
            "refused: registration opens on 2026-11-20 09:30 UTC",
        ),
        (
            _terms(registration_closes=datetime(2026, 11, 15, tzinfo=UTC)),
            request(9),
            Refusal.CLOSED,
            "refused: registration closed on 2026-11-15",
        ),
        (TERMS, request(9, occurrence="2026-12-11"), Refusal.UNKNOWN_OCCURRENCE, "2026-12-11"),
        (TERMS, request(9, ticket="vip"), Refusal.UNKNOWN_TICKET, "no ticket type 'vip'"),
        (TERMS, request(9, party=4), Refusal.PARTY_TOO_LARGE, "party of 4 is more than its 3"),
        (TERMS, request(1, id="r1b"), Refusal.DUPLICATE, "already registered for this date"),
        (TERMS, request(8, registrant=Registrant(node="fr", id="p2")), Refusal.DUPLICATE, "(wai"),
    ],
)
def test_refusals_say_why_and_change_nothing(
    terms: EventTerms, the_request: RegistrationRequest, refusal: Refusal, reason: str
) -> None:
    seats = run(book(3), request(1, party=3), request(2), request(9, id="r9-first")).book
    seats = cancel(seats, "r9-first", NOW).book  # person 9 may register again
    decided = register(seats, the_request, terms, NOW)
    (decision,) = decided.decisions
    assert decision.outcome is Outcome.REFUSED and decision.refusal is refusal
    assert decision.reason.startswith("refused: ") and reason in decision.reason
    assert decided.book == seats


def test_the_same_registrant_on_another_node_is_another_person() -> None:
    decided = run(book(5), request(1), request(2, registrant=Registrant(node="es", id="p1")))
    assert [d.outcome for d in decided.decisions] == [Outcome.CONFIRMED, Outcome.CONFIRMED]


def test_a_redelivered_request_is_answered_as_it_stands() -> None:
    seats = run(book(1), request(1), request(2)).book
    again = register(seats, request(2), TERMS, NOW + timedelta(hours=1))
    assert again.book == seats
    assert [(d.outcome, d.position) for d in again.decisions] == [(Outcome.WAITLISTED, 1)]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"party": 0}, "party"),
        ({"party": 101}, "party"),
        ({"party": "2"}, "party"),
        ({"ticket": "VIP!"}, "ticket"),
        ({"id": ""}, "id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_malformed_request_is_refused_naming_its_field(
    fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        request(1, **fields)
    assert refused.value.errors()[0]["loc"] == (field,)


# --- waiting list and offers ----------------------------------------------------------


def test_a_cancellation_offers_the_seat_to_the_first_in_line_for_the_hold() -> None:
    seats = run(book(1), request(1), request(2), request(3)).book
    decided = cancel(seats, "r1", NOW)
    assert [(d.request_id, d.outcome) for d in decided.decisions] == [
        ("r1", Outcome.CANCELLED),
        ("r2", Outcome.OFFERED),
    ]
    offer = decided.decisions[1]
    assert offer.offer_expires == NOW + timedelta(hours=48)
    assert offer.reason == "offered: 1 place held for you until 2026-11-17 10:00 UTC"
    assert decided.book.free() == 0  # the offer holds the seat
    assert register(decided.book, request(4), TERMS, NOW).decisions[0].position == 2


def test_an_accepted_offer_is_confirmed() -> None:
    seats = cancel(run(book(1), request(1), request(2)).book, "r1", NOW).book
    decided = accept_offer(seats, "r2", NOW + timedelta(hours=47))
    (decision,) = decided.decisions
    assert decision.outcome is Outcome.CONFIRMED and "offer accepted" in decision.reason
    assert decided.book.seats(Outcome.CONFIRMED) == 1


def test_an_offer_cannot_be_accepted_once_its_time_is_up() -> None:
    seats = cancel(run(book(1), request(1), request(2)).book, "r1", NOW).book
    with pytest.raises(DomainError, match="expired on 2026-11-17 10:00 UTC") as refused:
        accept_offer(seats, "r2", NOW + timedelta(hours=48))
    assert refused.value.field == "request_id"


def test_a_declined_offer_goes_to_the_next_in_line() -> None:
    seats = cancel(run(book(1), request(1), request(2), request(3)).book, "r1", NOW).book
    decided = decline_offer(seats, "r2", NOW)
    assert [(d.request_id, d.outcome) for d in decided.decisions] == [
        ("r2", Outcome.DECLINED),
        ("r3", Outcome.OFFERED),
    ]


def test_expired_offers_go_to_the_next_in_line() -> None:
    seats = run(book(2), request(1), request(2), request(3), request(4), request(5)).book
    seats = cancel(cancel(seats, "r1", NOW).book, "r2", NOW + timedelta(hours=1)).book
    assert expire_offers(seats, NOW + timedelta(hours=48)).decisions[0].request_id == "r3"
    decided = expire_offers(seats, NOW + timedelta(hours=49))
    assert [(d.request_id, d.outcome) for d in decided.decisions] == [
        ("r3", Outcome.EXPIRED),
        ("r4", Outcome.EXPIRED),
        ("r5", Outcome.OFFERED),
    ]
    assert decided.decisions[0].reason == (
        "expired: the offer held until 2026-11-17 10:00 UTC was not accepted"
    )
    assert decided.book.free() == 1  # one seat freed, no one left waiting


def test_the_hold_is_the_events() -> None:
    seats = book(1).model_copy(update={"hold": timedelta(hours=6)})
    seats = cancel(run(seats, request(1), request(2)).book, "r1", NOW).book
    assert seats.find("r2").offer_expires == NOW + timedelta(hours=6)


def test_leaving_the_waiting_list_moves_the_others_up() -> None:
    seats = run(book(1), request(1), request(2), request(3)).book
    decided = leave_waiting_list(seats, "r2", NOW)
    assert decided.decisions[0].outcome is Outcome.LEFT
    assert [r.request_id for r in decided.book.waiting()] == ["r3"]
    (again,) = register(decided.book, request(3), TERMS, NOW).decisions
    assert (again.position, again.reason) == (1, "waitlisted: position 1")


def test_only_a_waiting_request_can_leave_the_list() -> None:
    seats = run(book(1), request(1)).book
    with pytest.raises(DomainError, match="'r1' is confirmed, not waitlisted") as refused:
        leave_waiting_list(seats, "r1", NOW)
    assert refused.value.field == "request_id"
    with pytest.raises(NotFound) as unknown:
        cancel(seats, "nope", NOW)
    assert unknown.value.field == "request_id"


def test_a_group_first_in_line_does_not_block_a_single_behind_it() -> None:
    """Policy: the earliest waiting request that fits gets the seats; the group keeps its
    place and is asked first when enough seats free."""
    seats = run(book(3), request(1, party=2), request(2), request(3, party=3), request(4)).book
    decided = cancel(seats, "r2", NOW)  # one seat frees: the group of 3 cannot use it
    assert [(d.request_id, d.outcome) for d in decided.decisions] == [
        ("r2", Outcome.CANCELLED),
        ("r4", Outcome.OFFERED),
    ]
    assert [r.request_id for r in decided.book.waiting()] == ["r3"]
    seats = cancel(accept_offer(decided.book, "r4", NOW).book, "r1", NOW).book
    assert status(seats, "r3") is Outcome.WAITLISTED  # 2 free, the group still needs 3
    decided = cancel(seats, "r4", NOW)
    assert [(d.request_id, d.outcome) for d in decided.decisions][1:] == [("r3", Outcome.OFFERED)]


def test_a_newcomer_takes_seats_no_one_waiting_fits() -> None:
    seats = run(book(3), request(1, party=2), request(2), request(3, party=3)).book
    seats = cancel(seats, "r2", NOW).book
    assert register(seats, request(4), TERMS, NOW).decisions[0].outcome is Outcome.CONFIRMED


# --- capacity -------------------------------------------------------------------------


def test_capacity_below_the_confirmed_seats_is_refused_naming_capacity() -> None:
    seats = run(book(5), request(1, party=3), request(2)).book
    with pytest.raises(DomainError, match="3 is below the 4 seats confirmed") as refused:
        change_capacity(seats, 3, NOW)
    assert refused.value.field == "capacity"
    assert change_capacity(seats, 4, NOW).book.capacity == 4


def test_a_negative_capacity_is_refused_naming_capacity() -> None:
    with pytest.raises(DomainError) as refused:
        change_capacity(book(5), -1, NOW)
    assert refused.value.field == "capacity"


def test_capacity_below_the_seats_held_by_offers_is_refused() -> None:
    seats = cancel(run(book(2), request(1), request(2), request(3)).book, "r1", NOW).book
    with pytest.raises(DomainError, match="1 seats confirmed and 1 offered"):
        change_capacity(seats, 1, NOW)


def test_raising_capacity_makes_offers_in_arrival_order() -> None:
    seats = run(book(2), request(1, party=2), request(2, party=2), request(3), request(4)).book
    decided = change_capacity(seats, 5, NOW)
    assert [(d.request_id, d.outcome) for d in decided.decisions] == [
        ("r2", Outcome.OFFERED),
        ("r3", Outcome.OFFERED),
    ]
    unlimited = change_capacity(decided.book, None, NOW)
    assert [d.request_id for d in unlimited.decisions] == ["r4"]


# --- cancellation ---------------------------------------------------------------------


def test_cancelling_the_event_cancels_every_registration_and_names_each_node() -> None:
    first = run(book(2), request(1, node="fr"), request(2, node="es"), request(3, node="fr"))
    later = run(book(5, "2027-01-14"), request(1, node="fr", occurrence="2027-01-14"))
    gone = leave_waiting_list(first.book, "r3", NOW).book
    gone = run(gone, request(4, node="lv")).book
    cancelled = cancel_event([gone, later.book])
    assert {(d.request_id, d.occurrence) for d in cancelled.decisions} == {
        ("r1", DATE),
        ("r2", DATE),
        ("r4", DATE),
        ("r1", "2027-01-14"),
    }
    assert {d.outcome for d in cancelled.decisions} == {Outcome.CANCELLED}
    assert cancelled.notify == {
        "fr": (Registrant(node="fr", id="p1"),),
        "es": (Registrant(node="es", id="p2"),),
        "lv": (Registrant(node="lv", id="p4"),),
    }
    assert all(not b.waiting() and b.seats(Outcome.CONFIRMED) == 0 for b in cancelled.books)


def test_cancelled_by_the_organiser_says_so() -> None:
    seats = run(book(2), request(1)).book
    assert cancel(seats, "r1", NOW, by_owner=True).decisions[0].reason == (
        "cancelled by the organiser"
    )


# --- fees -----------------------------------------------------------------------------


def test_base_fee_times_party_and_why_without_a_membership() -> None:
    fee = quote(request(1, party=2, organization="Acme SAS"), TERMS)
    assert fee is not None
    assert (fee.unit_fee, fee.base, fee.discount, fee.total) == (150_00, 300_00, 0, 300_00)
    assert fee.membership_network is None
    assert "no member organisation found for 'Acme SAS'" in fee.reason
    assert "no organisation given" in str(quote(request(1), TERMS))


def test_partner_discount_records_the_network_whose_membership_was_used() -> None:
    fee = quote(request(1, party=2, membership=ACME_FR), TERMS)
    assert fee is not None
    assert (fee.base, fee.discount, fee.total, fee.membership_network) == (
        300_00,
        60_00,
        240_00,
        "fr",
    )
    assert fee.reason == "240.00 EUR: 20% member discount: Acme SAS is a member of fr"


def test_own_members_are_discounted_unless_the_rule_says_otherwise() -> None:
    own = request(1, membership=ACME_FR.model_copy(update={"network": "ro"}))
    assert quote(own, TERMS).total == 120_00  # type: ignore[union-attr]
    strict = _terms(fees=FEES.model_copy(update={"own_members_discounted": False}))
    fee = quote(own, strict)
    assert fee is not None and fee.total == 150_00 and fee.membership_network is None
    assert "organiser's own network" in fee.reason


def test_free_for_partner_members_and_no_discount_rule() -> None:
    free = _terms(fees=FEES.model_copy(update={"partner_discount": PartnerDiscount.FREE}))
    fee = quote(request(1, party=3, membership=ACME_FR), free)
    assert fee is not None and fee.total == 0 and fee.membership_network == "fr"
    assert "free for members of partner networks" in fee.reason
    none = _terms(fees=FEES.model_copy(update={"partner_discount": PartnerDiscount.NONE}))
    fee = quote(request(1, membership=ACME_FR), none)
    assert fee is not None and fee.total == 150_00 and "no member discount" in fee.reason


def test_half_a_cent_rounds_in_the_registrants_favour() -> None:
    fee = quote(request(1, ticket="student", party=1, membership=ACME_FR), TERMS)
    assert fee is not None and (fee.base, fee.discount, fee.total) == (33_33, 6_67, 26_66)


def test_a_free_event_without_ticket_types() -> None:
    free = _terms(fees=FeeRules())
    fee = quote(request(1, party=2, membership=ACME_FR), free)
    assert fee is not None and fee.total == 0 and fee.ticket is None
    assert quote(request(1, ticket="standard"), free) is None
    guest = TicketType(code="guest", name="Guest", fee=0)
    with_guests = _terms(fees=FEES.model_copy(update={"tickets": [*FEES.tickets, guest]}))
    fee = quote(request(1, ticket="guest", membership=ACME_FR), with_guests)
    assert fee is not None and fee.total == 0 and fee.reason == "0.00 EUR: no fee for this ticket"


def test_the_decision_carries_the_quote() -> None:
    decided = run(book(5), request(1, party=2, membership=ACME_FR))
    assert decided.decisions[0].quote == quote(request(1, party=2, membership=ACME_FR), TERMS)


# --- state ----------------------------------------------------------------------------


def test_a_book_survives_a_trip_through_json() -> None:
    seats = cancel(run(book(1), request(1), request(2, membership=ACME_FR)).book, "r1", NOW).book
    assert SeatBook.model_validate_json(seats.model_dump_json()) == seats
    assert SeatBook.model_validate(seats.model_dump(mode="json")) == seats


# --- properties -----------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.permutations(range(150)))
def test_150_requests_for_20_seats_in_any_arrival_order(order: list[int]) -> None:
    decided = run(book(20), *(request(n, node=("ro", "fr", "es")[n % 3]) for n in order))
    assert [d.request_id for d in decided.decisions if d.outcome is Outcome.CONFIRMED] == [
        f"r{n}" for n in order[:20]
    ]
    assert [r.request_id for r in decided.book.waiting()] == [f"r{n}" for n in order[20:]]


ALWAYS_OPEN = _terms(registration_closes=None)


@settings(max_examples=300, deadline=None)
@given(
    fee=st.integers(0, 10_000_00),
    party=st.integers(1, 100),
    rule=st.sampled_from(PartnerDiscount),
    percent=st.integers(1, 100),
    own_discounted=st.booleans(),
    network=st.sampled_from([None, "ro", "fr"]),
)
def test_every_quote_adds_up(
    fee: int,
    party: int,
    rule: PartnerDiscount,
    percent: int,
    own_discounted: bool,
    network: str | None,
) -> None:
    """Base is fee times party, the discount the rule's share of it to the cent, and the
    network is recorded exactly when its membership earned the discount."""
    fees = FeeRules(
        tickets=[TicketType(code="t", name="T", fee=fee)],
        partner_discount=rule,
        discount_percent=percent,
        own_members_discounted=own_discounted,
    )
    member = ACME_FR.model_copy(update={"network": network}) if network else None
    priced = quote(request(1, party, membership=member), _terms(fees=fees))
    assert priced is not None and priced.base == fee * party
    assert 0 <= priced.discount <= priced.base and priced.total == priced.base - priced.discount
    earns = member is not None and rule is not PartnerDiscount.NONE
    earns = earns and (network != "ro" or own_discounted)
    expected = (100 if rule is PartnerDiscount.FREE else percent) if earns else 0
    assert abs(priced.discount * 100 - priced.base * expected) <= 50  # to the nearest cent
    assert priced.membership_network == (network if expected and priced.base else None)
    assert priced.reason.startswith(f"{priced.total // 100}.{priced.total % 100:02d} EUR: ")


class Registrations(RuleBasedStateMachine):
    """Random interleavings of every operation on one book, checking after each step."""

    def __init__(self) -> None:
        super().__init__()
        self.book = book(0)
        self.now = NOW
        self.count = 0
        self.arrivals: list[str] = []  # accepted request ids, in the order sent
        self.refused: list[str] = []

    @initialize(capacity=st.none() | st.integers(0, 8))
    def open_book(self, capacity: int | None) -> None:
        self.book = book(capacity)

    def apply(self, decided: Decided) -> None:
        """Take the new book, checking that each offer went to the earliest that fits."""
        free = decided.book.free()
        offers = [d for d in decided.decisions if d.outcome is Outcome.OFFERED]
        order = {rid: i for i, rid in enumerate(self.arrivals)}
        assert [order[d.request_id] for d in offers] == sorted(order[d.request_id] for d in offers)
        waiting = decided.book.waiting()
        for k, offer in enumerate(offers):
            if free is None:
                break
            free_then = free + sum(decided.book.find(d.request_id).party for d in offers[k:])
            for earlier in waiting:
                if order[earlier.request_id] < order[offer.request_id]:
                    assert earlier.party > free_then, "an earlier request that fits was skipped"
        self.book = decided.book

    def pick(self, data: st.DataObject, *statuses: Outcome) -> str:
        ids = [r.request_id for r in self.book.registrations if r.status in statuses]
        return data.draw(st.sampled_from(ids))

    def has(self, *statuses: Outcome) -> bool:
        return any(r.status in statuses for r in self.book.registrations)

    @rule(person=st.integers(0, 12), party=st.integers(1, 4))
    def send_request(self, person: int, party: int) -> None:
        self.count += 1
        rid = f"q{self.count}"
        registrant = Registrant(node=("ro", "fr", "es")[person % 3], id=f"p{person}")
        the_request = request(0, party, id=rid, registrant=registrant)
        decided = register(self.book, the_request, ALWAYS_OPEN, self.now)
        (decision,) = decided.decisions
        live = any(
            r.registrant == registrant
            and r.status in (Outcome.CONFIRMED, Outcome.OFFERED, Outcome.WAITLISTED)
            for r in self.book.registrations
        )
        too_large = self.book.capacity is not None and party > self.book.capacity
        if decision.outcome is Outcome.REFUSED:
            assert decision.refusal is (Refusal.PARTY_TOO_LARGE if too_large else Refusal.DUPLICATE)
            assert live or too_large
            self.refused.append(rid)
        else:
            assert not live and not too_large
            fits = self.book.free() is None or party <= self.book.free()  # type: ignore[operator]
            assert decision.outcome is (Outcome.CONFIRMED if fits else Outcome.WAITLISTED)
            self.arrivals.append(rid)
        self.apply(decided)

    @precondition(lambda self: self.has(Outcome.CONFIRMED, Outcome.OFFERED, Outcome.WAITLISTED))
    @rule(data=st.data(), by_owner=st.booleans())
    def cancel_one(self, data: st.DataObject, by_owner: bool) -> None:
        live = (Outcome.CONFIRMED, Outcome.OFFERED, Outcome.WAITLISTED)
        self.apply(cancel(self.book, self.pick(data, *live), self.now, by_owner))

    @precondition(lambda self: self.has(Outcome.OFFERED))
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        self.apply(accept_offer(self.book, self.pick(data, Outcome.OFFERED), self.now))

    @precondition(lambda self: self.has(Outcome.OFFERED))
    @rule(data=st.data())
    def decline(self, data: st.DataObject) -> None:
        self.apply(decline_offer(self.book, self.pick(data, Outcome.OFFERED), self.now))

    @precondition(lambda self: self.has(Outcome.WAITLISTED))
    @rule(data=st.data())
    def leave(self, data: st.DataObject) -> None:
        self.apply(leave_waiting_list(self.book, self.pick(data, Outcome.WAITLISTED), self.now))

    @rule(hours=st.integers(1, 72))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)
        decided = expire_offers(self.book, self.now)
        assert all(d.outcome in (Outcome.EXPIRED, Outcome.OFFERED) for d in decided.decisions)
        self.apply(decided)

    @rule(change=st.integers(-4, 4), unlimited=st.booleans())
    def change_the_capacity(self, change: int, unlimited: bool) -> None:
        taken = self.book.seats(Outcome.CONFIRMED, Outcome.OFFERED)
        capacity = None if unlimited else max(0, (self.book.capacity or taken) + change)
        if capacity is not None and capacity < taken:
            with pytest.raises(DomainError) as refused:
                change_capacity(self.book, capacity, self.now)
            assert refused.value.field == "capacity"
            return
        self.apply(change_capacity(self.book, capacity, self.now))

    @invariant()
    def never_over_capacity(self) -> None:
        free = self.book.free()
        assert free is None or free >= 0

    @invariant()
    def no_one_waits_for_seats_they_fit(self) -> None:
        free = self.book.free()
        assert all(free is not None and r.party > free for r in self.book.waiting())

    @invariant()
    def waiting_list_keeps_arrival_order(self) -> None:
        waiting = {r.request_id for r in self.book.waiting()}
        assert [r.request_id for r in self.book.waiting()] == [
            rid for rid in self.arrivals if rid in waiting
        ]

    @invariant()
    def no_request_is_lost(self) -> None:
        held = [r.request_id for r in self.book.registrations]
        assert held == self.arrivals  # each kept once, in arrival order
        assert not set(held) & set(self.refused)
        assert len(held) + len(self.refused) == self.count

    @invariant()
    def offers_run_until_their_time(self) -> None:
        for r in self.book.registrations:
            held = r.status is Outcome.OFFERED
            assert held == (r.offer_expires is not None)
            assert not held or r.offer_expires > self.now  # type: ignore[operator]


Registrations.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_registrations_under_any_interleaving = Registrations.TestCase
