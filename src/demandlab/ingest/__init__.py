"""Ingest: read exports, map their headers, validate rows, keep every reject with a reason."""

from .grids import GridIndex, read_registry
from .headers import normalize_header
from .mapping import Mapping, available_mappings, choose_mapping, load_mapping_file, presets
from .prepared import REASONS, WARNINGS, Prepared
from .readers import IngestError, Table, read_table, read_tables
from .repeats import derived_id, is_id_conflict
from .validate import TablePlan, concat_prepared, merge_sheets, prepare_batch

__all__ = [
    "REASONS",
    "WARNINGS",
    "GridIndex",
    "IngestError",
    "Mapping",
    "Prepared",
    "Table",
    "TablePlan",
    "available_mappings",
    "choose_mapping",
    "concat_prepared",
    "derived_id",
    "is_id_conflict",
    "load_mapping_file",
    "merge_sheets",
    "normalize_header",
    "prepare_batch",
    "presets",
    "read_registry",
    "read_table",
    "read_tables",
]
