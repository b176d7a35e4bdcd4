"""The DuckDB database: one connection object, schema migrations, transactions.

Only the pipeline runner and the public read helpers touch the connection;
stages receive and return polars frames. Values reach SQL as parameters;
identifiers that come from outside are quoted with :func:`quote`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from . import schema

SCHEMA_VERSION = 5

_MIGRATIONS: dict[int, str] = {
    1: f"""
create table batches (
    batch_id varchar primary key,
    path varchar, file_name varchar, sha256 varchar, size_bytes bigint,
    format varchar, encoding varchar, sheet varchar, header_row integer, mapping varchar,
    rows_read bigint, rows_accepted bigint, rows_rejected bigint, rows_blank bigint,
    rows_new bigint, rows_updated bigint, rows_unchanged bigint,
    loaded_at timestamp
);
create table raw_records (
    {schema.columns_ddl(schema.RECORD)},
    contact varchar, room varchar, grid_raw varchar, extra varchar, raw varchar,
    {schema.columns_ddl(schema.RAW_LINEAGE)}
);
create table records (
    {schema.columns_ddl(schema.RECORD)},
    {schema.columns_ddl(schema.RECORD_DERIVED)},
    cleaned_at timestamp
);
create table rejects (
    batch_id varchar, file_name varchar, row_number bigint, column_name varchar,
    reason varchar, message varchar, record_id varchar, raw varchar
);
create table load_warnings (
    batch_id varchar, file_name varchar, row_number bigint, column_name varchar,
    reason varchar, value varchar
);
create table grids (
    grid_id varchar primary key, grid_name varchar, street varchar, community varchar, aliases varchar[]
);
create table places (grid_id varchar, compound varchar, building varchar);
create table tokens (
    source varchar, record_id varchar, content_hash varchar, tokens varchar, n_tokens integer,
    segmenter varchar
);
create table themes (
    theme_id integer primary key, label varchar, keywords varchar[], category varchar,
    size bigint, representatives varchar[], model_version varchar, status varchar,
    first_seen date, last_seen date
);
create table theme_events (
    model_version varchar, theme_id integer, event varchar, detail varchar, recorded_at timestamp
);
create table assignments (
    source varchar, record_id varchar, theme_id integer, score double, reason varchar,
    model_version varchar, content_hash varchar
);
create table categories (category varchar primary key, description varchar, seed_terms varchar[]);
create table theme_models (model_version varchar primary key, created_at timestamp, n_records bigint,
                           params varchar, path varchar);
create table runs (
    run_id varchar primary key, command varchar, started_at timestamp, finished_at timestamp,
    status varchar, summary varchar
);
""",
    # 2: the sheet of a workbook a reject or warning came from; the original row is kept for rejects only
    2: """
alter table rejects add column sheet varchar;
alter table load_warnings add column sheet varchar;
alter table raw_records drop column raw;
""",
    # 3: the theme registry: stable ids over refits, the cluster each record fell in, overrides
    3: """
alter table assignments add column cluster integer;
alter table themes add column auto_label varchar;
alter table themes add column label_source varchar;
alter table themes add column auto_category varchar;
alter table themes add column fit_status varchar;
alter table theme_models add column window_start date;
alter table theme_models add column window_end date;
alter table theme_models add column refit_reason varchar;
create table theme_clusters (model_version varchar, cluster integer, theme_id integer);
create table routed_categories (
    source varchar, record_id varchar, label_column varchar, category varchar, probability double,
    trained_on bigint, routed_at timestamp
);
""",
    # 4: the place each record names (signals: hot issues, 多人同诉, repeats), found once per text version
    4: """
create table record_places (
    source varchar, record_id varchar, content_hash varchar, place_kind varchar, place varchar, place_key varchar
);
""",
    # 5: the road written right before a record's compound or POI (hot issues join road-only mentions to it)
    5: """
alter table record_places add column place_road varchar;
""",
}


def first(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> tuple | None:
    """The first row of a query, with the result fully consumed.

    DuckDB 2 keeps a result open until it is fetched to the end; a bare
    ``fetchone()`` would block the next statement on the same connection.
    """
    rows = con.execute(query, params or []).fetchall()
    return rows[0] if rows else None


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> Iterator[None]:
    """Make ``frame`` queryable as ``name`` for the duration of the block.

    A large frame is handed over in several Arrow batches: DuckDB scans one batch per
    thread, and a single batch would leave all but one core idle.
    """
    table = frame.to_arrow()
    if table.num_rows > 20_000:
        table = pa.Table.from_batches(table.to_batches(max_chunksize=max(8_192, table.num_rows // 16)))
    con.register(name, table)
    try:
        yield
    finally:
        # an aborted transaction refuses even this; the error that aborted it is the one that matters
        with contextlib.suppress(duckdb.Error):
            con.unregister(name)


class StoreError(RuntimeError):
    """The database cannot be opened or is newer than this version of demandlab."""


def quote(identifier: str) -> str:
    """Quote an SQL identifier (a table or column name that came from outside)."""
    return '"' + identifier.replace('"', '""') + '"'


class Store:
    """A demandlab database.

    Parameters
    ----------
    path : the DuckDB file; ``":memory:"`` for a throw-away database.
    read_only : open without the right to write (several readers may share a file).

    Examples
    --------
    >>> store = Store(":memory:")
    >>> store.sql("select count(*) as n from records")["n"][0]
    0
    """

    def __init__(self, path: str | Path = ":memory:", read_only: bool = False) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(f"{self.path}: cannot open the database: {exc}") from exc
        if read_only:
            self._check_schema()
        else:
            # one checkpoint when the store closes rather than one per large commit: a weekly run
            # commits a stage at a time and would otherwise rewrite the file after each
            self.con.execute("set checkpoint_threshold = '1GB'")
            self.con.execute("set preserve_insertion_order = false")
            self._migrate()

    # --- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_schema(self) -> None:
        """A read-only store cannot upgrade: say so clearly instead of failing on a missing column later."""
        try:
            row = first(self.con, "select value from meta where key = 'schema_version'")
        except duckdb.CatalogException:
            row = None
        current = int(row[0]) if row else 0
        if current and current < SCHEMA_VERSION:
            self.con.close()
            raise StoreError(
                f"{self.path}: schema version {current} is older than this demandlab ({SCHEMA_VERSION}); "
                "open it once for writing to upgrade it (e.g. `demandlab run`)"
            )

    def _migrate(self) -> None:
        self.con.execute("create table if not exists meta (key varchar primary key, value varchar)")
        row = first(self.con, "select value from meta where key = 'schema_version'")
        current = int(row[0]) if row else 0
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {current} is newer than this demandlab ({SCHEMA_VERSION}); upgrade"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.transaction() as con:
                con.execute(_MIGRATIONS[version])
                con.execute("insert or replace into meta values ('schema_version', ?)", [str(version)])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Everything inside commits together or not at all."""
        self.con.execute("begin transaction")
        try:
            yield self.con
        except BaseException:
            self.con.execute("rollback")
            raise
        self.con.execute("commit")

    # --- reading -----------------------------------------------------------------------
    def sql(self, query: str, params: list | dict | None = None) -> pl.DataFrame:
        """Run a query and return a polars frame."""
        return self.con.sql(query, params=params).pl()

    def table(self, name: str) -> pl.DataFrame:
        return self.sql(f"select * from {quote(name)}")

    def tables(self) -> list[str]:
        return [r[0] for r in self.con.execute("select table_name from information_schema.tables").fetchall()]

    def count(self, name: str) -> int:
        return self.scalar(f"select count(*) from {quote(name)}")

    def meta(self, key: str) -> str | None:
        return self.scalar("select value from meta where key = ?", [key])

    def scalar(self, query: str, params: list | None = None) -> object:
        """The first value of the first row, or None."""
        row = first(self.con, query, params)
        return row[0] if row else None

    # --- writing (inside a transaction) ------------------------------------------------
    @staticmethod
    def insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
        """Insert ``frame`` into ``table`` by column name; returns the number of rows."""
        if frame.height == 0:
            return 0
        with registered(con, "_incoming", frame):
            con.execute(f"insert into {quote(table)} by name select * from _incoming")
        return frame.height

    @staticmethod
    def replace_keys(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, keys: list[str]) -> int:
        """Delete the rows of ``table`` whose ``keys`` appear in ``frame``, then insert ``frame``."""
        if frame.height == 0:
            return 0
        with registered(con, "_incoming", frame):
            on = " and ".join(f"t.{quote(k)} = i.{quote(k)}" for k in keys)
            con.execute(f"delete from {quote(table)} t where exists (select 1 from _incoming i where {on})")
            con.execute(f"insert into {quote(table)} by name select * from _incoming")
        return frame.height

    @staticmethod
    def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
        con.execute("insert or replace into meta values (?, ?)", [key, value])


def connect(path: str | Path = ":memory:", read_only: bool = False) -> Store:
    """Open (and create or migrate) a demandlab database.

    Examples
    --------
    >>> import demandlab as dl
    >>> store = dl.connect(":memory:")
    >>> "records" in store.tables()
    True
    """
    return Store(path, read_only=read_only)
