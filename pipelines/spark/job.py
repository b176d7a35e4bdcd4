"""The file ``spark-submit`` runs (``submit.sh``): demandlab's command line as a Spark application.

``spark-submit`` starts a Python file, not a console script; this one hands its arguments to demandlab's CLI, so
``spark-submit … job.py weekly --config demandlab.toml`` is ``demandlab weekly --config demandlab.toml`` with
Spark's master, executors and settings taken from ``spark-submit`` (``engine.spark_master = ""``).
"""

from demandlab.cli import main

if __name__ == "__main__":
    main()
