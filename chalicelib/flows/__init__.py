"""The definition language: models, loader, validation and the catalog of shipped flows."""

from chalicelib.flows.catalog import FlowCatalog, definition_files
from chalicelib.flows.errors import DefinitionError, FlowNotFound
from chalicelib.flows.loader import Flow, flow_version, load_flow_file, parse_flow
from chalicelib.flows.models import FlowDefinition

__all__ = [
    "DefinitionError",
    "Flow",
    "FlowCatalog",
    "FlowDefinition",
    "FlowNotFound",
    "definition_files",
    "flow_version",
    "load_flow_file",
    "parse_flow",
]
