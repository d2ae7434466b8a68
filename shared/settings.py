"""Process settings, read from the environment (``ALLIANCE_*``, ``NATS_URL``, ``MONGODB_URL``).

Every variable is documented in ``.env.example``. Command-line options override them.
A node reads ``ALLIANCE_*``; the hub reads the same settings under ``ALLIANCE_HUB_*``
(so one environment can describe both), plus where nodes reach its leaf listener.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ProcessSettings(BaseSettings):
    """What every alliance process (node or hub) needs to know about where it runs."""

    model_config = SettingsConfigDict(env_prefix="ALLIANCE_", extra="ignore")

    data_dir: Path = Path(".alliance")
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    log_level: str = "warning"
    outbox_batch: int = Field(1000, ge=1, le=10_000)
    consumer_batch: int = Field(1000, ge=1, le=10_000)
    max_deliver: int = Field(5, ge=1, le=100)
    duplicate_window_seconds: int = Field(7200, ge=60)
    # how long an owner holds a freed seat offered to the next on a waiting list (events)
    offer_hold_hours: int = Field(48, ge=1, le=24 * 30)
    # how long a partner's claim on a translation request holds unless it submits (news)
    translation_claim_days: int = Field(7, ge=1, le=90)


class NodeSettings(ProcessSettings):
    """A national node: its servers (embedded unless given) and its link to the hub."""

    # identity used when `alliance up` meets an empty data dir (`alliance init` sets it too)
    node: str | None = None
    name: str | None = None
    country: str | None = None
    nats_url: str | None = Field(
        None, validation_alias=AliasChoices("NATS_URL", "ALLIANCE_NATS_URL")
    )
    mongodb_url: str | None = Field(
        None, validation_alias=AliasChoices("MONGODB_URL", "ALLIANCE_MONGODB_URL")
    )
    hub_url: str | None = Field(None, validation_alias=AliasChoices("HUB_URL", "ALLIANCE_HUB_URL"))
    hub_credentials: Path | None = None


class HubSettings(ProcessSettings):
    """The alliance hub: its HTTP port, and the leaf listener nodes connect to.

    ``host`` is where HTTP and the leaf listener face the nodes; the NATS client and
    monitoring ports listen on ``nats_host`` (127.0.0.1) unless the operator widens it.
    """

    model_config = SettingsConfigDict(env_prefix="ALLIANCE_HUB_", extra="ignore")

    data_dir: Path = Path(".alliance-hub")
    port: int = Field(8000, ge=1, le=65535)
    leaf_port: int = Field(7422, ge=1, le=65535)
    advertise: str | None = None  # host:port nodes use for the leaf link [host:leaf_port]
    # the client and monitoring ports of the hub's nats-server: loopback unless asked
    nats_host: str = "127.0.0.1"
    # the portal's read model of ALLIANCE: an embedded store unless given
    mongodb_url: str | None = None
