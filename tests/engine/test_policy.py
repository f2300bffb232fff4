"""Replenishment policy: hand-computed safety stock, reorder point, quantities, urgency and the policy backtest."""
import numpy as np
import pytest

from sales_forecast_ai.engine.policy import (PROFILES, abc_service_level, backtest_policy, compute_policy,
                                             cumulative_demand, days_of_cover, lead_time_sigma, resolve_profile,
                                             round_order_qty, service_z)

Z95 = 1.6448536269514722


def _policy(**kw):
    args = dict(forecast=np.full((1, 30), 10.0), on_hand=50.0, incoming=20.0, reserved=10.0, lead_time=4,
                residual_std=5.0, service_level=95.0, review_days=7, safety_days=0.0, moq=0.0, pack=0.0)
    args.update(kw)
    return compute_policy(**args)


def test_safety_stock_reorder_point_and_order_up_to_by_hand():
    p = _policy(moq=100.0, pack=12.0)
    # sigma over 4 days = 5 * sqrt(4) = 10; SS = 1.645 * 10; ROP = 4 days x 10 + SS; S = ROP + 7 x 10.
    assert p["z"][0] == pytest.approx(Z95)
    assert p["demand_lead_time"][0] == pytest.approx(40.0)
    assert p["safety_stock"][0] == pytest.approx(10 * Z95)
    assert p["reorder_point"][0] == pytest.approx(40 + 10 * Z95)
    assert p["order_up_to"][0] == pytest.approx(110 + 10 * Z95)
    assert p["simple_reorder_point"][0] == pytest.approx(40.0)  # 10/day x (4 + 0 safety days)
    assert p["position"][0] == pytest.approx(60.0)  # 50 on hand + 20 incoming - 10 reserved
    # Needs 66.4: raised to the MOQ (100), then to the next pack of 12 (108).
    assert p["qty_needed"][0] == pytest.approx(50 + 10 * Z95)
    assert p["qty_suggested"][0] == pytest.approx(108.0)
    assert p["moq_applied"][0]
    # 60 units cover 6 days: under the 7-day threshold although above the ROP.
    assert p["days_of_cover"][0] == pytest.approx(6.0)
    assert p["stockout_day"][0] == pytest.approx(6.0)
    assert p["urgency"][0] == "order_now"


def test_urgency_thresholds_and_rounding_without_moq():
    p = _policy(on_hand=[30.0, 100.0, 200.0], incoming=0.0, reserved=0.0, forecast=np.full((3, 30), 10.0),
                pack=12.0)
    assert list(p["urgency"]) == ["order_now", "watch", "ok"]  # below ROP; 10 days of cover; 20 days
    needed = 110 + 10 * Z95 - np.array([30.0, 100.0, 200.0])
    assert p["qty_needed"] == pytest.approx(np.maximum(needed, 0))
    assert p["qty_suggested"] == pytest.approx([108.0, 36.0, 0.0])  # 96.4 and 26.4 up to packs of 12
    assert not p["moq_applied"].any()


def test_safety_days_floor_and_simple_rule():
    p = _policy(safety_days=3.0)
    assert p["safety_stock"][0] == pytest.approx(30.0)  # 3 days x 10 > 1.645 x 10
    assert p["simple_reorder_point"][0] == pytest.approx(70.0)  # 10 x (4 + 3)


def test_lead_time_beyond_the_horizon_carries_the_tail_on():
    forecast = np.array([[2.0] * 14])
    assert cumulative_demand(forecast, 20)[0] == pytest.approx(40.0)
    assert cumulative_demand(forecast, 2.5)[0] == pytest.approx(5.0)
    assert days_of_cover(np.array([[5.0] * 10]), 12.0)[0] == pytest.approx(2.4)
    assert days_of_cover(np.array([[5.0] * 10]), 70.0)[0] == pytest.approx(14.0)  # 50 in 10 days, then 5/day


def test_zero_demand_orders_nothing():
    p = _policy(forecast=np.zeros((2, 30)), on_hand=[0.0, 5.0], incoming=0.0, reserved=0.0, residual_std=0.0,
                moq=50.0, pack=10.0)
    assert p["reorder_point"] == pytest.approx([0.0, 0.0])
    assert p["qty_suggested"] == pytest.approx([0.0, 0.0])
    assert list(p["urgency"]) == ["ok", "ok"]
    assert np.isinf(p["days_of_cover"][1]) and np.isnan(p["stockout_day"]).all()
    assert not p["moq_applied"].any()


def test_negative_stock_is_brought_back_even_without_demand():
    p = _policy(forecast=np.zeros((1, 30)), on_hand=-4.0, incoming=0.0, reserved=0.0, residual_std=0.0)
    assert p["urgency"][0] == "order_now"
    assert p["qty_suggested"][0] == pytest.approx(4.0)


def test_no_vendor_means_no_moq_nor_pack_but_unit_rounding():
    # Without a vendor the caller passes the default lead time and no MOQ/pack: only the unit rounds.
    p = _policy(moq=0.0, pack=0.0, rounding=1.0)
    assert p["qty_suggested"][0] == pytest.approx(67.0)
    assert round_order_qty([0.0, 0.2, 7.0], moq=0.0, pack=0.0, rounding=0.5) == pytest.approx([0.0, 0.5, 7.0])
    assert round_order_qty([3.0, 30.0], moq=10.0, pack=4.0) == pytest.approx([12.0, 32.0])


def test_error_sources_and_service_levels():
    # The residual spread first, the champion's RMSE when the spread is missing.
    assert lead_time_sigma([2.0, 0.0, np.nan], 9, rmse=[5.0, 3.0, 1.0]) == pytest.approx([6.0, 9.0, 3.0])
    assert service_z([50.0, 95.0, 99.0]) == pytest.approx([0.0, Z95, 2.3263479])
    levels = {"A": 98.0, "B": 95.0, "C": 90.0}
    assert abc_service_level(93.0, ["A", "b", "C", ""], levels) == pytest.approx([98.0, 95.0, 90.0, 93.0])
    # A category's own level stays; without a mapping (segmentation off) every series keeps its base.
    assert abc_service_level([99.0, 93.0], ["C", "C"], levels, fixed=[True, False]) == pytest.approx([99.0, 90.0])
    assert abc_service_level([97.0, 92.0], ["A", "C"], {}) == pytest.approx([97.0, 92.0])
    assert abc_service_level(95.0, ["A"], {"A": 100.0}) == pytest.approx([99.9])
    assert resolve_profile("pharmacy", PROFILES["retail"]).service_level == 99.0
    assert resolve_profile("", PROFILES["retail"]) is PROFILES["retail"]


def test_policy_backtest_steady_demand_by_hand():
    # 2 a day, always: ROP = 2 x 2 days = 4, S = 4 + 2 x 2 review days = 8; stock starts at 8.
    # End-of-day stock 6 4 2 0 | 4 2 0 | 4 2 0 with orders of 6 at days 2, 5 and 8 (arriving 2 days later).
    history = np.full((1, 38), 2.0)
    out = backtest_policy(history, 10, lead_time=2, residual_std=0.0, service_level=95.0, review_days=2,
                          unit_cost=3.0)
    assert out["fill_rate"][0] == pytest.approx(1.0)
    assert out["stockout_days"][0] == 0
    assert out["orders"][0] == 3
    assert out["avg_stock"][0] == pytest.approx(2.4)
    assert out["avg_stock_value"][0] == pytest.approx(7.2)
    assert out["totals"]["fill_rate"] == pytest.approx(1.0)


def test_policy_backtest_spike_loses_sales_and_compares_with_actual_stock():
    # Days 2,2,10,2 after 28 days of 2: the spike empties the 4 units left; 8 ordered arrive too late.
    history = np.array([[2.0] * 28 + [2.0, 2.0, 10.0, 2.0]])
    actual = np.array([[10.0, 8.0, 0.0, 0.0]])
    out = backtest_policy(history, 4, lead_time=2, residual_std=0.0, service_level=95.0, review_days=2,
                          unit_cost=1.0, actual_stock=actual)
    assert out["fill_rate"][0] == pytest.approx(8 / 16)  # served 2 + 2 + 4 + 0
    assert out["stockout_days"][0] == 2
    assert out["avg_stock"][0] == pytest.approx((6 + 4 + 0 + 0) / 4)
    assert out["orders"][0] == 1
    # What happened: mornings 12, 10, 8, 0 -> served 2, 2, 8, 0; sold out on days 2 and 3.
    assert out["actual_fill_rate"][0] == pytest.approx(12 / 16)
    assert out["actual_stockout_days"][0] == 2
    assert out["actual_avg_stock_value"][0] == pytest.approx(4.5)
    assert out["totals"]["actual_stockout_days"] == 2


def test_policy_backtest_higher_service_level_fills_more():
    rng = np.random.default_rng(1)
    history = rng.poisson(5.0, size=(50, 200)).astype(float)
    low = backtest_policy(history, 150, lead_time=5, residual_std=2.2, service_level=80.0, review_days=7)
    high = backtest_policy(history, 150, lead_time=5, residual_std=2.2, service_level=99.0, review_days=7)
    assert high["totals"]["fill_rate"] > low["totals"]["fill_rate"]
    assert high["totals"]["avg_stock_value"] > low["totals"]["avg_stock_value"]
    with pytest.raises(ValueError):
        backtest_policy(history, 0, lead_time=5, residual_std=1.0, service_level=95.0, review_days=7)
