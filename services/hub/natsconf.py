"""The hub's nats-server configuration, rendered from the registry.

One NATS account per admitted node (``NODE_<ID>``): its leaf connection (and only a leaf
connection) logs in with the node's nkey, may publish only under ``alliance.<id>.>``, and
reaches exactly one call of the hub's JetStream API (creating its feed's filtered
consumer on ALLIANCE; ``services/hub/warden.py`` deletes whatever else a node makes of
it). Data crosses accounts only through the exports and imports below (what an operator
reads about it: deploy/nats/README.md).

Direct messages (``direct.<target>.<sender>.…``, docs/architecture.md "Messages between
nodes") cross from the sender's account into the target's as a request to a service: each
node's account exports ``direct.<id>.>``, and every other node's account imports from it
only the messages sent as itself (``direct.<target>.<sender>.>``); the target's JetStream
ack travels back as the reply. No stream of the hub captures them: the hub stores nothing,
and a message to a node that is not connected finds no responder and waits at its sender.

The client and monitoring ports listen on ``nats_host`` (loopback by default); only the
leaf listener faces the nodes. The file is rewritten (0600: it holds the hub user's
password) and the server reloaded (SIGHUP) when the registry changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from services.hub.domain import AdmittedNode
from shared import subjects

HUB_USER = "hub"
# consumers on a stream of the ALLIANCE account that are not sourcing consumers: the
# hub's own read models (the portal keeps five replica sets today; room for more), and
# an operator's `nats stream view`; none are needed by nodes (see services/hub/warden.py)
HUB_SERVICE_CONSUMERS = 24
ALLIANCE_PLAIN_CONSUMERS = HUB_SERVICE_CONSUMERS + 4


def account(node: str) -> str:
    return f"NODE_{node.upper()}"


def node_deliver(node: str) -> str:
    """Where the hub's sourcing consumer on NODE_<ID> delivers."""
    return f"deliver.{node}"


def feed_deliver(node: str) -> str:
    """Where a node's feed consumer on ALLIANCE delivers."""
    return f"deliver.hub.{node}"


def _q(value: str) -> str:
    return json.dumps(value)


def _list(items: list[str], indent: str) -> str:
    return "[\n" + "".join(f"{indent}  {item}\n" for item in items) + f"{indent}]"


@dataclass(frozen=True)
class HubListeners:
    """Where the hub's nats-server listens.

    Only the leaf listener faces the nodes (``host``, e.g. 0.0.0.0); the client port and
    the monitoring port stay on ``nats_host`` (loopback unless the operator asks): the
    monitoring port answers anyone, and no node needs the client port.
    """

    host: str
    client_port: int
    leaf_port: int
    monitor_port: int
    advertise: str  # host:port nodes must use for the leaf link (NATS-NOTES: partitions)
    nats_host: str = "127.0.0.1"

    @property
    def monitor_url(self) -> str:
        return f"http://{self.nats_host}:{self.monitor_port}"


def _node_account(entry: AdmittedNode, nodes: list[AdmittedNode]) -> str:
    node, acc = entry.node, account(entry.node)
    others = [other.node for other in nodes if other.node != node]
    publish = [
        subjects.node_subjects(node),
        subjects.direct_from(node),  # direct messages, as itself only
        f"{node_deliver(node)}.>",
        # what sourcing sends: a named consumer filtered to alliance subjects (the
        # warden deletes whatever else a node makes of it)
        f"$JS.hub.API.CONSUMER.CREATE.ALLIANCE.*.{subjects.node_subjects('*')}",
        "$JS.FC.ALLIANCE.>",
        "_R_.>",
    ]
    subscribe = [
        f"$JS.{node}.API.CONSUMER.>",
        f"{feed_deliver(node)}.>",
        f"$JS.FC.{subjects.node_stream(node)}.>",
        "$JSC.R.>",
        subjects.direct_to(node),  # direct messages to it
        "_INBOX.>",  # the acks of its own direct messages
    ]
    exports = [
        f"{{ service: {_q(f'$JS.{node}.API.CONSUMER.>')}, accounts: [ALLIANCE] }}",
        f"{{ service: {_q(f'$JS.FC.{subjects.node_stream(node)}.>')}, accounts: [ALLIANCE] }}",
        f"{{ stream: {_q(f'{node_deliver(node)}.>')}, accounts: [ALLIANCE] }}",
        # public: a reload does not update an existing account's exports (measured), and
        # the hub writes every import itself (one per sender, below)
        f"{{ service: {_q(subjects.direct_to(node))} }}",
    ]
    imports = [
        '{ service: { account: ALLIANCE, subject: "$JS.API.CONSUMER.CREATE.ALLIANCE" } }',
        '{ service: { account: ALLIANCE, subject: "$JS.API.CONSUMER.CREATE.ALLIANCE.>" } }',
        '{ service: { account: ALLIANCE, subject: "$JS.API.CONSUMER.CREATE.ALLIANCE" }, '
        'to: "$JS.hub.API.CONSUMER.CREATE.ALLIANCE" }',
        '{ service: { account: ALLIANCE, subject: "$JS.API.CONSUMER.CREATE.ALLIANCE.>" }, '
        'to: "$JS.hub.API.CONSUMER.CREATE.ALLIANCE.>" }',
        '{ service: { account: ALLIANCE, subject: "$JS.FC.ALLIANCE.>" } }',
        f"{{ stream: {{ account: ALLIANCE, subject: {_q(f'{feed_deliver(node)}.>')} }} }}",
        *(
            f"{{ service: {{ account: {account(other)}, "
            f"subject: {_q(subjects.direct_between(other, node))} }} }}"
            for other in others
        ),
    ]
    pub = ", ".join(_q(s) for s in publish)
    sub = ", ".join(_q(s) for s in subscribe)
    return (
        f"  {acc}: {{\n"
        f"    users: [ {{ nkey: {_q(entry.nkey)}, permissions: {{\n"
        f"      publish: {{ allow: [{pub}] }}\n"
        f"      subscribe: {{ allow: [{sub}] }}\n"
        # the node's key opens its leaf link, never a client connection
        f'    }}, allowed_connection_types: ["LEAFNODE"] }} ]\n'
        f"    exports: {_list(exports, '    ')}\n"
        f"    imports: {_list(imports, '    ')}\n"
        f"  }}\n"
    )


def _alliance_account(nodes: list[AdmittedNode], hub_password: str) -> str:
    lines = [
        "  ALLIANCE: {\n",
        # sourcing consumers, the only ones nodes need, are exempt from this limit
        f"    jetstream: {{ max_consumers: {ALLIANCE_PLAIN_CONSUMERS} }}\n",
        f"    users: [ {{ user: {HUB_USER}, password: {_q(hub_password)} }} ]\n",
    ]
    # Exports are public and never change when a node is admitted: a reload does not
    # update an existing account's exports (measured). Only the per-node imports below
    # decide who gets what, and the hub writes every import itself.
    exports = [
        '{ service: "$JS.API.CONSUMER.CREATE.ALLIANCE" }',
        '{ service: "$JS.API.CONSUMER.CREATE.ALLIANCE.>" }',
        '{ service: "$JS.FC.ALLIANCE.>" }',
        '{ stream: "deliver.hub.>" }',
    ]
    lines.append(f"    exports: {_list(exports, '    ')}\n")
    if nodes:
        imports = []
        for entry in nodes:
            node, acc = entry.node, account(entry.node)
            imports += [
                f"{{ service: {{ account: {acc}, subject: {_q(f'$JS.{node}.API.CONSUMER.>')} }} }}",
                f"{{ service: {{ account: {acc}, "
                f"subject: {_q(f'$JS.FC.{subjects.node_stream(node)}.>')} }} }}",
                f"{{ stream: {{ account: {acc}, subject: {_q(f'{node_deliver(node)}.>')} }} }}",
            ]
        lines.append(f"    imports: {_list(imports, '    ')}\n")
    lines.append("  }\n")
    return "".join(lines)


def render(
    listeners: HubListeners,
    store_dir: str,
    nodes: list[AdmittedNode],
    hub_password: str,
    ping_interval: str = "5s",
) -> str:
    """The whole hub configuration for the currently admitted nodes."""
    accounts = "".join(_node_account(entry, nodes) for entry in nodes)
    return (
        'server_name: "hub"\n'
        f'listen: "{listeners.nats_host}:{listeners.client_port}"\n'
        f'http: "{listeners.nats_host}:{listeners.monitor_port}"\n'
        f'ping_interval: "{ping_interval}"\n'
        "ping_max: 3\n"
        f"jetstream {{\n  domain: {subjects.HUB_DOMAIN}\n  store_dir: {_q(store_dir)}\n}}\n"
        "leafnodes {\n"
        f'  listen: "{listeners.host}:{listeners.leaf_port}"\n'
        f"  advertise: {_q(listeners.advertise)}\n"
        "}\n"
        "accounts {\n"
        f"{_alliance_account(nodes, hub_password)}"
        f"{accounts}"
        "}\n"
    )
