"""A hub and three nodes as real processes: every event reaches every other node once.

Each test ends in ``Federation.wait_converged``, which counts by event id: every node's
replicas were applied from exactly the other nodes' NODE stream events (none missing,
none extra), the hub's ALLIANCE holds each event once, and every node's replicas are
exactly the other nodes' organisations.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from shared.consumer import ACK_WAIT_SECONDS
from tests.federation import Federation, federation_of, metric_value, poll

pytestmark = pytest.mark.e2e


def no_failures(federation: Federation) -> None:
    for member in federation.members.values():
        assert not member.failures, f"{member.node} refused writes: {member.failures[:3]}"


def wait_written(federation: Federation, at_least: dict[str, int], timeout: float = 30) -> None:
    poll(
        lambda: all(federation.written(name) >= n for name, n in at_least.items()),
        timeout,
        f"writes {at_least}",
        interval=0.05,
    )


def forgot(federation: Federation, name: str, origin: str) -> bool:
    return origin not in federation.replica_counts(name)


def test_writes_on_every_node_converge_everywhere(tmp_path: Path) -> None:
    with federation_of(tmp_path) as federation:
        federation.write_everywhere(30)
        no_failures(federation)
        state = federation.wait_converged()
        assert {origin: len(ids) for origin, ids in state.events.items()} == {
            "ro": 30,
            "fr": 30,
            "es": 30,
        }


def test_hub_sigkilled_during_writes_then_restarted(tmp_path: Path) -> None:
    with federation_of(tmp_path) as federation:
        assert federation.hub is not None
        names = [m.node for m in federation.active]
        for name in names:
            federation.start_writer(name, pause=0.03)
        wait_written(federation, dict.fromkeys(names, 5))

        federation.hub.kill()
        down = {name: federation.written(name) for name in names}
        # the nodes keep answering 201 while the hub is gone
        wait_written(federation, {name: n + 10 for name, n in down.items()})
        no_failures(federation)

        federation.restart_hub()
        back = {name: federation.written(name) for name in names}
        wait_written(federation, {name: n + 5 for name, n in back.items()})
        federation.stop_writers()
        no_failures(federation)
        assert all(federation.written(name) > down[name] for name in names)
        federation.wait_converged()


def test_cut_leaf_link_catches_up_after_restore(tmp_path: Path) -> None:
    with federation_of(tmp_path, proxied="fr") as federation:
        assert federation.proxy is not None and federation.hub is not None
        hub = federation.hub
        federation.write_everywhere(10, prefix="Before")

        federation.proxy.cut()
        poll(
            lambda: (
                metric_value(federation.metrics("fr"), "alliance_leaf_link_up", remote="hub") == 0.0
            ),
            30,
            'fr reports alliance_leaf_link_up{remote="hub"} 0.0',
        )
        poll(lambda: (hub.sync_of("fr") or {}).get("connected") is False, 30, "hub sees fr gone")
        before_cut = set(federation.members["es"].created)
        federation.write_everywhere(20, prefix="During")
        no_failures(federation)
        es_during = set(federation.members["es"].created) - before_cut
        # ro still hears es; fr, cut off, does not
        poll(
            lambda: es_during <= federation.replica_ids("ro").get("es", set()),
            60,
            "ro has es's writes made during the cut",
        )
        assert not es_during & federation.replica_ids("fr").get("es", set())
        assert federation.proxy.is_cut
        assert metric_value(federation.metrics("fr"), "alliance_leaf_link_up", remote="hub") == 0.0

        federation.proxy.restore()
        poll(
            lambda: (
                metric_value(federation.metrics("fr"), "alliance_leaf_link_up", remote="hub") == 1.0
            ),
            30,
            "fr's leaf link back up",
        )
        federation.wait_converged()


def test_node_sigkilled_mid_projection_applies_everything_once(tmp_path: Path) -> None:
    with federation_of(tmp_path) as federation:
        federation.write_everywhere(10, prefix="Early")
        federation.wait_converged()
        victim, burst = "es", 150  # per writer: 300 events towards es
        before = len(federation.replica_event_ids(victim))
        writing = [
            federation.in_background(federation.create_orgs, name, burst, "Burst")
            for name in ("ro", "fr")
        ]
        poll(
            lambda: len(federation.replica_event_ids(victim)) >= before + 20,
            60,
            f"{victim} projecting the burst",
            interval=0.05,
        )
        applied_at_kill = len(federation.replica_event_ids(victim))
        federation.kill_node(victim)
        for future in writing:
            future.result(120)  # the others keep answering 201
        no_failures(federation)
        assert applied_at_kill < before + 2 * burst, "the burst was fully applied before the kill"

        federation.start_node(victim)  # as an operator restarts it: kept credentials
        # the batch in flight at the kill is redelivered once its ack wait has run out
        state = federation.wait_converged(timeout=ACK_WAIT_SECONDS + 60)
        assert len(state.events["ro"]) == len(state.events["fr"]) == 10 + burst


def test_removed_node_disappears_from_every_other_node(tmp_path: Path) -> None:
    with federation_of(tmp_path) as federation:
        assert federation.hub is not None
        federation.write_everywhere(10)
        federation.wait_converged()
        assert federation.replica_counts("fr").get("ro") == 10

        federation.remove("ro")
        for name in ("fr", "es"):
            poll(partial(forgot, federation, name, "ro"), 30, f"ro's replicas gone from {name}")
            assert "ro" not in federation.replica_ids(name)
        assert [e["active"] for e in federation.hub.nodes() if e["node"] == "ro"] == [False]

        # what ro writes after its removal reaches nobody; the others still hear each other
        federation.create_orgs("ro", 5, "Removed")
        fr_before = set(federation.members["fr"].created)
        federation.create_orgs("fr", 5, "After")
        fr_after = set(federation.members["fr"].created) - fr_before
        poll(
            lambda: fr_after <= federation.replica_ids("es").get("fr", set()),
            30,
            "es hears fr after ro's removal",
        )
        ro_events = federation.stream_events("ro")
        assert len(ro_events) == 15
        late = {e.id for e in ro_events[10:]}
        assert not late & {e.id for e in federation.alliance_events()}
        for name in ("fr", "es"):
            assert "ro" not in federation.replica_counts(name)
            assert not late & set(federation.replica_event_ids(name)), f"{name} applied them"
