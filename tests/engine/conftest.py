"""Fixtures of the engine.distributed tests (test_distributed, test_distributed_cluster), module-scoped:
one each per test module. dask and psutil are imported only by the tests that ask for them."""
import pytest


@pytest.fixture(scope="module")
def test_models():
    """The test-only models exist in this process while this module's tests run, and only then."""
    import dask_test_models

    with dask_test_models.registered():
        yield


@pytest.fixture(scope="module")
def panel():
    from distributed_helpers import make_panel

    return make_panel()


@pytest.fixture(scope="module")
def preload():
    """Workers import the test models when they start (LocalCluster workers get the driver's config)."""
    import dask

    with dask.config.set({"distributed.worker.preload": ["dask_test_models"]}):
        yield


@pytest.fixture(scope="module")
def two_workers(panel, preload):
    from distributed_helpers import HORIZON, RUN, SHARD

    from sales_forecast_ai.engine import distributed

    return distributed.run_forecast_distributed(panel, HORIZON, workers=2, shard_size=SHARD, **RUN)


