"""What a node and a hub guarantee against other processes on their machine and other nodes.

Each module states its guarantees in its docstring and proves them on real processes
(``alliance up`` / ``alliance hub``, their nats-server and store):

- ``test_node_bus``: a local client without the node's credentials can do nothing to its
  nats-server (connect, list, read, purge, delete, update, create consumers).
- ``test_store``: the embedded store listens on no TCP port, only on a socket file in the
  0700 data dir; another OS user can neither connect nor read its files.
- ``test_files``: a running node's and hub's data dirs are 0700 and hold no file readable
  by group or others; the secrets in them are 0600 and unreadable to another OS user; an
  older data dir is tightened, a directory shared with other users refused.
- ``test_hub_listeners``: ``alliance hub --host`` exposes the leaf and HTTP ports only;
  the NATS client and monitoring ports stay on loopback unless asked for.
- ``test_hub_consumers``: on the hub, a node's key opens its leaf link only, and a node
  cannot pile up consumers on ALLIANCE nor make one deliver outside its own subjects.
- ``test_tokens``: API tokens can be listed, revoked and made to expire; a refused token
  is a 401 on every request, and a broken token file is one line at start and a 503, not
  a traceback, while running.

Tests that act as another OS user need root (to become ``nobody``) and are skipped
otherwise; see ``docs/security.md`` for the threat model.
"""
