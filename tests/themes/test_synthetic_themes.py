"""The theme model on a small synthetic district: few themes, each planted problem the majority of one."""

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import normalized_mutual_info_score

import demandlab as dl
from demandlab.config import Config, PrivacyConfig
from demandlab.synth import generate
from demandlab.themes import ThemeModel


@pytest.fixture(scope="module")
def small_district(tmp_path_factory):
    result = generate(tmp_path_factory.mktemp("small"), n_records=2_000, seed=0)
    with dl.connect(":memory:") as store:
        pipe = dl.Pipeline(store, Config(privacy=PrivacyConfig(salt_file=result.root / "salt")))
        pipe.load_grids(result.registry)
        for path in result.export_paths:
            pipe.ingest(path)
        pipe.clean()
        pipe.segment()
        tokens = store.sql("select source, record_id, tokens from tokens order by source, record_id")
    truth = pl.read_parquet(result.root / "truth" / "records.parquet").select("source", "record_id", "problem")
    return tokens.join(truth, on=["source", "record_id"], how="left")


def test_two_thousand_records_give_few_themes_that_find_every_planted_problem(small_district):
    model = ThemeModel().fit(small_district["tokens"].to_list())
    problem = np.array([p or "" for p in small_district["problem"].to_list()])
    planted = problem != ""
    # 32 planted problems in 2,000 records: 105 themes before issue 14, 32 now
    assert model.n_themes_ <= 45
    assert normalized_mutual_info_score(problem[planted], model.labels_[planted]) >= 0.9
    for name in set(problem[planted]):
        theme = np.bincount(model.labels_[problem == name] + 1).argmax() - 1
        members, counts = np.unique(problem[model.labels_ == theme], return_counts=True)
        assert theme >= 0 and members[counts.argmax()] == name, name
