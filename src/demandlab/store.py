"""The DuckDB databases: connections, schema migrations, transactions, the write lock.

A demandlab database is two files side by side:

* ``<db>`` — what analysts open with :func:`connect`: records (masked), tokens, themes,
  marts, the batch log, rejects and warnings *without* their values;
* ``<db>.restricted.duckdb`` — created ``0600``, never opened by :func:`connect`: the raw
  rows (numbers and names in clear), the values of rejected cells and of warnings. Only the
  pipeline attaches it (:meth:`Store.attach_restricted`), as the catalog ``restricted``.

DuckDB lets one transaction write to one of the two, so a stage that writes both writes the
restricted file first and the analysts' file second; rows in the restricted file whose batch
never committed are removed the next time it is attached.

Only one process may write a database at a time, and DuckDB refuses readers while it does.
Every writing command takes :func:`writer_lock` (a file lock beside the database that names its
holder), then opens the file; readers open it read-only. Both wait up to ``wait`` seconds for a
busy database and then raise :class:`StoreBusy` naming who holds it.

Only the pipeline runner and the public read helpers touch the connection; stages receive and
return polars frames. Values reach SQL as parameters; identifiers that come from outside are
quoted with :func:`quote`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from . import schema, sql
from .duck import literal, quiet, quote
from .errors import EXIT_USAGE, BusyError, DemandlabError, disk_problem
from .lake import is_lake, lake_connection
from .options import DEFAULT_WAIT

SCHEMA_VERSION = 10
RESTRICTED_SCHEMA_VERSION = 1
RESTRICTED = "restricted"
RESTRICTED_SUFFIX = ".restricted.duckdb"
LOCK_SUFFIX = ".lock"


def migration(version: int) -> str:
    """The DDL that brings the analysts' file to ``version`` (``sql/migrations/NNN.sql``)."""
    return (
        sql.text(
            f"migrations/{version:03d}",
            record=schema.columns_ddl(schema.RECORD),
            derived=schema.columns_ddl(schema.RECORD_DERIVED),
            lineage=schema.columns_ddl(schema.RAW_LINEAGE),
        )
        if version == 1
        else sql.text(f"migrations/{version:03d}")
    )


def restricted_ddl() -> str:
    """The tables of the restricted file (``sql/migrations/restricted.sql``)."""
    return sql.text(
        "migrations/restricted",
        record=schema.columns_ddl(schema.RECORD),
        raw_only=schema.columns_ddl(schema.RAW_ONLY),
        lineage=schema.columns_ddl(schema.RAW_LINEAGE),
    )


#: Restricted tables whose rows belong to a batch (removed with it when it never committed).
_RESTRICTED_BATCH_TABLES = ("raw_records", "reject_values", "warning_values")


class StoreError(DemandlabError, RuntimeError):
    """The database cannot be opened (missing, corrupt, newer than this demandlab) or written."""


class MissingDatabase(StoreError):
    """A command that reads was pointed at a database that does not exist (a mistyped ``--db``)."""

    exit_code = EXIT_USAGE


class StoreBusy(StoreError, BusyError):
    """Another process holds the database for longer than we were asked to wait."""


def restricted_path(db: str | Path) -> Path:
    """The restricted file beside ``db``: ``x.duckdb`` → ``x.duckdb.restricted.duckdb``."""
    db = Path(db)
    return db.with_name(db.name + RESTRICTED_SUFFIX)


def lock_path(db: str | Path) -> Path:
    db = Path(db)
    return db.with_name(db.name + LOCK_SUFFIX)


@contextlib.contextmanager
def private_files() -> Iterator[None]:
    """Create files readable by their owner only (``0600``) inside the block.

    DuckDB creates the database and its write-ahead log itself; the umask is the only way to
    give them private modes from the start rather than a moment later.
    """
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _holder(db: Path, duckdb_message: str = "") -> str:
    """Who holds ``db``, in Chinese: the writer named in the lock file, else the process DuckDB names."""
    with contextlib.suppress(OSError):
        text = lock_path(db).read_text(encoding="utf-8").strip()
        if text:
            return text
    found = re.search(r"\(PID (\d+)\)", duckdb_message)
    if found:
        pid = found.group(1)
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            program = " ".join(Path(a.decode(errors="replace")).name for a in argv[:3] if a)
        except OSError:
            program = "另一个程序"
        return f"{program}（进程 {pid}）"
    return "另一个进程"


def _busy(db: Path, waited: float, duckdb_message: str = "") -> StoreBusy:
    return StoreBusy(
        f"数据库 {db} 正被 {_holder(db, duckdb_message)} 使用，已等待 {waited:.0f} 秒。"
        "请待其结束（或关闭打开它的笔记本）后重试，或用 --wait 延长等待时间"
    )


@contextlib.contextmanager
def writer_lock(db: str | Path, wait: float = 0.0, command: str = "demandlab") -> Iterator[Path]:
    """Hold the write lock of ``db`` for the block, waiting up to ``wait`` seconds for it.

    The lock is a file beside the database (``<db>.lock``) locked with ``flock``: the operating
    system releases it when the process ends, ``kill -9`` included. While held, the file names
    its holder, which is what a waiting command shows.

    Raises
    ------
    StoreBusy : the lock stayed taken for ``wait`` seconds.
    """
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    started = time.monotonic()
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - started >= wait:
                    raise _busy(Path(db), time.monotonic() - started) from None
                time.sleep(min(0.5, max(0.05, wait / 20)))
        handle.seek(0)
        handle.truncate()
        since = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        handle.write(f"{command}（进程 {os.getpid()}，自 {since} 起）\n")
        handle.flush()
        yield path
    finally:
        with contextlib.suppress(OSError):
            if fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB) is None:
                handle.seek(0)
                handle.truncate()
        handle.close()  # closing releases the lock


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    return "Could not set lock" in str(exc) or "Conflicting lock" in str(exc)


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


def first(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> tuple | None:
    """The first row of a query, with the result fully consumed.

    DuckDB 2 keeps a result open until it is fetched to the end; a bare
    ``fetchone()`` would block the next statement on the same connection.
    """
    rows = con.execute(query, params or []).fetchall()
    return rows[0] if rows else None


class Store:
    """A demandlab database (the analysts' file; see :meth:`attach_restricted` for the other one).

    Parameters
    ----------
    path : the DuckDB file; ``":memory:"`` for a throw-away database.
    read_only : open without the right to write (several readers may share a file, and it works
        on a read-only file system).
    wait : seconds to wait while another process holds the file.
    create : create the file when it does not exist; when False a missing file raises
        :class:`MissingDatabase` (what every command that only reads wants).

    Examples
    --------
    >>> store = Store(":memory:")
    >>> store.sql("select count(*) as n from records")["n"][0]
    0
    """

    def __init__(
        self, path: str | Path = ":memory:", read_only: bool = False, wait: float = 0.0, create: bool = True
    ) -> None:
        self.path = str(path)
        self.read_only = read_only or is_lake(path)  # a folder of Parquet (demandlab.lake) is only read
        self.restricted_attached = False
        self.memory_limit: str | None = None  # what the pipeline capped DuckDB at (None: DuckDB's default)
        memory = self.path == ":memory:"
        if not memory and not Path(self.path).exists():
            if read_only or not create:
                raise MissingDatabase(
                    f"数据库 {self.path} 不存在。请检查 --db 或配置文件中的 [paths] db；"
                    "新建数据库请先导入数据（demandlab ingest 或 demandlab weekly）"
                )
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(disk_problem(exc) or f"无法创建目录 {Path(self.path).parent}") from exc
        self.con = lake_connection(self.path) if is_lake(path) else self._open(read_only, wait)
        try:
            quiet(self.con)
            if self.read_only:
                self._check_schema()
            else:
                # one checkpoint when the store closes rather than one per large commit: a weekly run
                # commits a stage at a time and would otherwise rewrite the file after each
                self.con.execute("set checkpoint_threshold = '1GB'; set preserve_insertion_order = false")
                self._migrate()
        except BaseException:
            self.con.close()
            raise

    def _open(self, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
        started = time.monotonic()
        while True:
            try:
                with private_files():
                    return duckdb.connect(self.path, read_only=read_only)
            except duckdb.ConnectionException as exc:
                if "different configuration" not in str(exc):
                    raise StoreError(_open_failure(self.path, exc)) from exc
                # this process already has the file open for writing (a notebook, a test): share that
                # instance; a read-only store still never writes
                return duckdb.connect(self.path, read_only=not read_only)
            except duckdb.Error as exc:
                if _is_lock_conflict(exc):
                    waited = time.monotonic() - started
                    if waited >= wait:
                        raise _busy(Path(self.path), waited, str(exc)) from None
                    time.sleep(min(0.5, max(0.05, wait / 20)))
                    continue
                raise StoreError(_open_failure(self.path, exc)) from exc

    # --- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _version(self) -> int:
        try:
            row = first(self.con, "select value from main.meta where key = 'schema_version'")
        except duckdb.CatalogException:
            row = None
        return int(row[0]) if row else 0

    def _check_schema(self) -> None:
        """A read-only store cannot upgrade: say so clearly instead of failing on a missing column later."""
        current = self._version()
        if current and current < SCHEMA_VERSION:
            raise StoreError(
                f"数据库 {self.path} 的结构版本 {current} 旧于本版 demandlab（{SCHEMA_VERSION}）："
                "请先以写方式打开一次完成升级（例如运行 demandlab run）"
            )
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"数据库 {self.path} 的结构版本 {current} 新于本版 demandlab（{SCHEMA_VERSION}）：请升级 demandlab"
            )

    def _migrate(self) -> None:
        self.con.execute("create table if not exists meta (key varchar primary key, value varchar)")
        current = self._version()
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"数据库 {self.path} 的结构版本 {current} 新于本版 demandlab（{SCHEMA_VERSION}）：请升级 demandlab"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            if version == 6 and self._holds_personal_data() and not self.restricted_attached:
                return  # moved by attach_restricted(), which needs the restricted file
            with self.transaction() as con:
                con.execute(migration(version))
                con.execute("insert or replace into main.meta values ('schema_version', ?)", [str(version)])

    def _holds_personal_data(self) -> bool:
        """Whether a database from before version 6 has raw rows or values to move."""
        return bool(
            self.scalar("select count(*) from main.raw_records")
            or self.scalar("select count(*) from main.rejects where raw is not null")
            or self.scalar("select count(*) from main.load_warnings where value is not null")
        )

    # --- the restricted file -------------------------------------------------------------
    def attach_restricted(self) -> None:
        """Attach ``<db>.restricted.duckdb`` as the catalog ``restricted`` (created ``0600``); idempotent.

        Only the pipeline calls this; :func:`connect` never does. Afterwards unqualified names
        also find the restricted tables (``raw_records``), and rows of batches that never
        committed in the analysts' file (a run killed between the two commits) are removed.
        A database from before version 6 has its personal data moved here.
        """
        if self.restricted_attached:
            return
        if self.read_only:
            raise StoreError(f"数据库 {self.path} 以只读方式打开，不能处理原始数据")
        target = ":memory:" if self.path == ":memory:" else str(restricted_path(self.path))
        try:
            with private_files():
                self.con.execute(f"attach {literal(target)} as {RESTRICTED}")
        except duckdb.Error as exc:
            raise StoreError(_open_failure(target, exc)) from exc
        if target != ":memory:":
            Path(target).chmod(0o600)
        self.restricted_attached = True
        self.con.execute(f"set search_path = 'main,{RESTRICTED}.main'")
        with self.restricted_transaction() as con:
            con.execute(restricted_ddl())
            con.execute(
                f"insert or replace into {RESTRICTED}.meta values ('schema_version', ?)",
                [str(RESTRICTED_SCHEMA_VERSION)],
            )
        if self._version() < 6:
            self._move_to_restricted()
            self._migrate()  # the versions after 6 waited for the move
        self.drop_orphans()

    def _move_to_restricted(self) -> None:
        """Version 6: copy personal data into the restricted file, then drop it from the analysts' file.

        Two commits (DuckDB writes one file per transaction); the copy replaces what an
        interrupted earlier attempt copied, so running it again is safe.
        """
        with self.restricted_transaction() as con:
            con.execute(f"delete from {RESTRICTED}.raw_records")
            con.execute(f"delete from {RESTRICTED}.reject_values")
            con.execute(f"delete from {RESTRICTED}.warning_values")
            con.execute(f"insert into {RESTRICTED}.raw_records by name select * from main.raw_records")
            con.execute(
                f"insert into {RESTRICTED}.reject_values by name select batch_id, file_name, sheet, row_number, "
                "column_name, reason, raw from main.rejects where raw is not null"
            )
            con.execute(
                f"insert into {RESTRICTED}.warning_values by name select batch_id, file_name, sheet, row_number, "
                "column_name, reason, value from main.load_warnings where value is not null"
            )
        with self.transaction() as con:
            con.execute(migration(6))
            con.execute("insert or replace into main.meta values ('schema_version', '6')")

    def drop_orphans(self) -> None:
        """Remove restricted rows of batches the analysts' file never committed."""
        with self.restricted_transaction() as con:
            for table in _RESTRICTED_BATCH_TABLES:
                con.execute(
                    f"delete from {RESTRICTED}.{table} t where not exists "
                    "(select 1 from main.batches b where b.batch_id = t.batch_id)"
                )

    def purge_restricted(self, before: dt.datetime) -> dict[str, int]:
        """Delete the restricted rows of batches loaded before ``before``, then rewrite the file
        (:meth:`compact_restricted`). Returns the rows deleted per table."""
        old = "select batch_id from main.batches where loaded_at < ?"
        counts = {}
        with self.restricted_transaction() as con:
            for table in _RESTRICTED_BATCH_TABLES:
                query = f"delete from {RESTRICTED}.{table} where batch_id in ({old})"
                counts[table] = con.execute(query, [before]).fetchall()[0][0]
        self.compact_restricted()
        return counts

    def compact_restricted(self) -> None:
        """Rewrite the restricted file from its live rows, so deleted personal data is gone from disk too."""
        if not self.restricted_attached:
            raise StoreError("内部错误：受限数据库尚未附加")
        if self.path == ":memory:":
            return
        target = restricted_path(self.path)
        fresh = target.with_name(target.name + ".compact")
        fresh.unlink(missing_ok=True)
        with private_files():
            self.con.execute(f"attach {literal(str(fresh))} as _compact")
            try:
                self.con.execute(f"copy from database {RESTRICTED} to _compact")
            finally:
                self.con.execute("detach _compact")
        self.con.execute(f"detach {RESTRICTED}")
        self.restricted_attached = False
        Path(str(target) + ".wal").unlink(missing_ok=True)
        fresh.replace(target)
        self.attach_restricted()

    @contextlib.contextmanager
    def restricted_transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A transaction that writes the restricted file (its write-ahead log is created ``0600``)."""
        if not self.restricted_attached:
            raise StoreError("内部错误：受限数据库尚未附加")
        with private_files(), self.transaction() as con:
            yield con

    # --- transactions ------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Everything inside commits together or not at all."""
        self.con.execute("begin transaction")
        try:
            yield self.con
        except BaseException:
            with contextlib.suppress(duckdb.Error):
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
        """The tables and views of the analysts' file (the restricted catalog is never listed)."""
        return [
            r[0]
            for r in self.con.execute(
                "select table_name from information_schema.tables where table_catalog = current_database() "
                "order by table_name"
            ).fetchall()
        ]

    def count(self, name: str) -> int:
        return self.scalar(f"select count(*) from {quote(name)}")

    def meta(self, key: str) -> str | None:
        return self.scalar("select value from main.meta where key = ?", [key])

    def scalar(self, query: str, params: list | None = None) -> object:
        """The first value of the first row, or None."""
        row = first(self.con, query, params)
        return row[0] if row else None

    # --- writing (inside a transaction) ------------------------------------------------
    @staticmethod
    def insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
        """Insert ``frame`` into ``table`` (``restricted.x`` for the restricted file) by column name."""
        if frame.height == 0:
            return 0
        with registered(con, "_incoming", frame):
            con.execute(f"insert into {_table(table)} by name select * from _incoming")
        return frame.height

    @staticmethod
    def replace_keys(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, keys: list[str]) -> int:
        """Delete the rows of ``table`` whose ``keys`` appear in ``frame``, then insert ``frame``."""
        if frame.height == 0:
            return 0
        with registered(con, "_incoming", frame):
            on = " and ".join(f"t.{quote(k)} = i.{quote(k)}" for k in keys)
            con.execute(f"delete from {_table(table)} t where exists (select 1 from _incoming i where {on})")
            con.execute(f"insert into {_table(table)} by name select * from _incoming")
        return frame.height

    @staticmethod
    def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
        con.execute("insert or replace into main.meta values (?, ?)", [key, value])


def reject_values(store: Store) -> pl.DataFrame | None:
    """The rejected values (``batch_id``, ``sheet``, ``row_number``, ``column_name``, ``reason``, ``value``)
    from the restricted file, opened read-only on its own when ``store`` has not attached it; None when
    there is no restricted file (a database in memory, or one whose files were moved without it).

    For ``demandlab rejects``, which shows each value only masked; :func:`connect` never calls it.
    """
    query = "select batch_id, sheet, row_number, column_name, reason, value from {}.reject_values"
    if store.restricted_attached:
        return store.sql(query.format(RESTRICTED))
    target = restricted_path(store.path) if store.path != ":memory:" else None
    if target is None or not target.exists():
        return None
    try:
        with duckdb.connect(str(target), read_only=True) as con:
            return con.sql(query.format("main")).pl()
    except duckdb.Error as exc:
        raise StoreError(_open_failure(str(target), exc)) from exc


def _table(name: str) -> str:
    """``records`` → ``"records"``; ``restricted.raw_records`` → ``restricted."raw_records"``."""
    catalog, _, table = name.rpartition(".")
    if catalog and catalog != RESTRICTED:
        raise ValueError(f"unknown catalog in {name!r}")
    return f"{catalog}.{quote(table)}" if catalog else quote(table)


def _open_failure(path: str, exc: duckdb.Error) -> str:
    problem = disk_problem(exc)
    if problem:
        return problem
    return (
        f"数据库 {path} 无法打开：文件已损坏、不完整或不是 demandlab 数据库（{type(exc).__name__}）。"
        "请从备份恢复该文件；或将它移走后重新导入导出文件（demandlab ingest），原始导出仍在归档目录中"
    )


def connect(path: str | Path = ":memory:", read_only: bool = False, wait: float = 0.0, create: bool = True) -> Store:
    """Open (and create or migrate) a demandlab database: the analysts' file only.

    Parameters
    ----------
    path : the DuckDB file, or ``":memory:"``.
    read_only : open read-only (what notebooks should do: the weekly job cannot write while a
        notebook holds the file open for writing, and waits while one reads it).
    wait : seconds to wait while another process writes the file.
    create : create a missing file (False: raise :class:`MissingDatabase`).

    Examples
    --------
    >>> import demandlab as dl
    >>> store = dl.connect(":memory:")
    >>> "records" in store.tables()
    True
    """
    return Store(path, read_only=read_only, wait=wait, create=create)


__all__ = [
    "DEFAULT_WAIT",
    "MissingDatabase",
    "Store",
    "StoreBusy",
    "StoreError",
    "connect",
    "lock_path",
    "quote",
    "registered",
    "restricted_path",
    "writer_lock",
]
