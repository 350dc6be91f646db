"""DuckDB store: schema + migrations, one Store class, SQL for analysts."""

from .store import (
    CLIP_STATUSES,
    ROLES,
    NotFound,
    Store,
    StoreError,
    committed,
    connect_db,
    db_file_lock,
    default_home,
    new_id,
    normalise_handle,
    open_store,
    parse_date,
    to_json,
)

__all__ = [
    "CLIP_STATUSES",
    "ROLES",
    "NotFound",
    "Store",
    "StoreError",
    "committed",
    "connect_db",
    "db_file_lock",
    "default_home",
    "new_id",
    "normalise_handle",
    "open_store",
    "parse_date",
    "to_json",
]
