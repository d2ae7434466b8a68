"""Frozen wire models: the only thing services share."""

from shared.contracts.base import Contract, SchemaVersionError, Visibility, check_schema_version

__all__ = ["Contract", "SchemaVersionError", "Visibility", "check_schema_version"]
