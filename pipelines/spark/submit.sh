#!/bin/sh
# demandlab on a Spark cluster: spark-submit runs demandlab's command line (job.py) as the driver, with
# [engine] name = "spark" and spark_master = "" in demandlab.toml, so the master and executors are the ones
# given here. Sizing: pipelines/spark/README.md.
#
#   pipelines/spark/submit.sh                      # the weekly job: weekly --config $DEMANDLAB_HOME/demandlab.toml
#   pipelines/spark/submit.sh run --db data/demandlab.duckdb
#
# Environment (defaults in brackets):
#   DEMANDLAB_HOME          deployment folder with demandlab.toml and .venv [the repository root]
#   SPARK_MASTER            yarn, spark://host:7077 or local[N] [yarn]
#   SPARK_DEPLOY_MODE       client: the driver runs here, beside the DuckDB database [client]
#   EXECUTORS, EXECUTOR_CORES, EXECUTOR_MEMORY, PYTHON_MEMORY   [4, 4, 2g, 3g]
#   DEMANDLAB_ENV_ARCHIVE   the project's environment packed (venv-pack -o demandlab-env.tar.gz) for executors
#                           that do not share this machine's .venv; unset: they run $DEMANDLAB_HOME/.venv/bin/python
set -eu

HOME_DIR=${DEMANDLAB_HOME:-$(cd "$(dirname "$0")/../.." && pwd)}
JOB="$(cd "$(dirname "$0")" && pwd)/job.py"
PYTHON="$HOME_DIR/.venv/bin/python"
# the cluster's Spark (SPARK_HOME) if set, else the one PySpark ships in the project's environment
SPARK_HOME=${SPARK_HOME:-$("$PYTHON" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')}
export SPARK_HOME
if [ "$#" -eq 0 ]; then
    set -- weekly --config "$HOME_DIR/demandlab.toml"
fi

if [ -n "${DEMANDLAB_ENV_ARCHIVE:-}" ]; then
    set -- --archives "$DEMANDLAB_ENV_ARCHIVE#environment" --conf spark.pyspark.python=./environment/bin/python \
        "$JOB" "$@"
else
    set -- --conf "spark.pyspark.python=$PYTHON" "$JOB" "$@"
fi

# spark.authenticate + network.crypto: the clean stage's task carries the salt of contact_key (and raw rows);
# io.encryption: shuffle and spill files (records' rows) encrypted on the executors' disks
exec "$SPARK_HOME/bin/spark-submit" \
    --master "${SPARK_MASTER:-yarn}" \
    --deploy-mode "${SPARK_DEPLOY_MODE:-client}" \
    --name demandlab \
    --num-executors "${EXECUTORS:-4}" \
    --executor-cores "${EXECUTOR_CORES:-4}" \
    --executor-memory "${EXECUTOR_MEMORY:-2g}" \
    --conf "spark.executor.pyspark.memory=${PYTHON_MEMORY:-3g}" \
    --conf spark.pyspark.driver.python="$PYTHON" \
    --conf spark.sql.files.maxPartitionBytes=16m \
    --conf "spark.sql.shuffle.partitions=$((2 * ${EXECUTORS:-4} * ${EXECUTOR_CORES:-4}))" \
    --conf spark.authenticate=true \
    --conf spark.network.crypto.enabled=true \
    --conf spark.io.encryption.enabled=true \
    "$@"
