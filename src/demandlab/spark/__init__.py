"""The distributed engine: the same stages and the same SQL models on Apache Spark (optional: ``uv sync --group
spark``, Java 17).

Nothing here is imported by ``import demandlab``: PySpark and sqlglot are needed only where Spark runs.

* :mod:`.sql` — the SQL models as Spark SQL (:func:`~.sql.to_spark`);
* :mod:`.session` — a local or cluster ``SparkSession`` set as the models need it (UTC, timestamps
  without time zone, Arrow), and the base tables handed to it from DuckDB (:func:`~.session.load_tables`);
* :mod:`.models` — every model built on Spark in dependency order (:func:`~.models.build_models`);
* :mod:`.stages` — the stages of :mod:`demandlab.stages` in Spark: rows stages in ``mapInArrow`` (chained ones in
  one: :func:`~.stages.map_chain`), key stages in ``groupBy(bucket).applyInArrow`` (:func:`~.stages.map_groups`;
  the signal pass's :func:`~.stages.key_runner`);
* :mod:`.rows` — ``engine.name = "spark"``: the pipeline's rows stages through Spark
  (:class:`~.rows.SparkRows`), the records, marts and signals staying in the database;
* :mod:`.lake` — the marts of a lake (:mod:`demandlab.lake`) built by Spark from its Parquet files.
"""
