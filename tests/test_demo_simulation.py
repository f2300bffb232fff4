"""The demo history generator (sales_forecast_ai/demo/, plain Python): deterministic, the right size,
and every pattern the add-on's screens are meant to show is really in the data."""
import datetime
from collections import Counter, defaultdict

import numpy as np
import pytest

from sales_forecast_ai.demo import catalog, simulation

END = datetime.date(2026, 6, 30)


@pytest.fixture(scope="module")
def sim():
    return simulation.simulate(END)


@pytest.fixture(scope="module")
def orders(sim):
    return simulation.build_orders(sim)


def _days(sim, first, last):
    return np.array([first <= d <= last for d in sim.dates])


def test_catalog_shape():
    assert len(catalog.PRODUCTS) == 40
    assert len({p.key for p in catalog.PRODUCTS}) == 40
    assert len({p.default_code for p in catalog.PRODUCTS}) == 40
    assert Counter(p.category for p in catalog.PRODUCTS) == {c.key: 10 for c in catalog.CATEGORIES}
    vendors = {v.key for v in catalog.VENDORS}
    assert all(s.vendor in vendors and s.lead_days > 0 and s.min_qty > 0 for p in catalog.PRODUCTS for s in p.supplies)
    assert {c.warehouse for c in catalog.CUSTOMERS} == {w.key for w in catalog.WAREHOUSES}


def test_deterministic(sim):
    again = simulation.simulate(END)
    assert all(np.array_equal(sim.quantities[k], again.quantities[k]) for k in sim.quantities)
    other = simulation.simulate(END, seed=1)
    assert any(not np.array_equal(sim.quantities[k], other.quantities[k]) for k in sim.quantities)


def test_history_ends_on_end_date(sim):
    assert sim.dates[-1] == END and len(sim.dates) == simulation.HISTORY_DAYS
    assert sim.dates[0] == END - datetime.timedelta(days=simulation.HISTORY_DAYS - 1)


def test_order_volume(orders):
    lines = sum(len(o.lines) for o in orders)
    assert 20_000 <= lines <= 60_000
    assert len(orders) < lines


def test_orders_add_up_to_the_simulated_demand(sim, orders):
    totals = defaultdict(int)
    customers = {c.key: c for c in catalog.CUSTOMERS}
    for order in orders:
        assert customers[order.customer].warehouse == order.warehouse
        assert len({line[0] for line in order.lines}) == len(order.lines), "one line per product"
        for product, qty, discount in order.lines:
            assert qty > 0 and discount in (0, 10, 15, 20, 25)
            totals[product, order.warehouse, order.date] += qty
    for (product, warehouse), qty in sim.quantities.items():
        for day in np.flatnonzero(qty):
            assert totals.pop((product, warehouse, sim.dates[day])) == qty[day]
    assert not totals


def test_weekly_seasonality(sim):
    total = sum(sim.quantities.values())
    weekday = np.array([d.weekday() for d in sim.dates])
    mean = [total[weekday == i].mean() for i in range(7)]
    assert mean[5] > 1.3 * mean[1]            # Saturday vs Tuesday
    assert mean[6] == min(mean)               # Sunday is the quietest day


def test_trends(sim):
    growing = sim.quantities["usb_c_cable", "main"]
    declining = sim.quantities["face_masks", "main"]
    assert growing[-120:].mean() > 1.4 * growing[:120].mean()
    assert declining[-120:].mean() < 0.7 * declining[:120].mean()


def test_ramadan_and_christmas(sim):
    ramadan = simulation.ramadan_starts(sim.dates[0], sim.dates[-1])
    start = next(r for r in ramadan if r.year == 2026)
    assert abs((start - datetime.date(2026, 2, 18)).days) <= 1
    dates = sim.quantities["dates", "casablanca"]
    during = _days(sim, start, start + datetime.timedelta(days=25))
    before = _days(sim, start - datetime.timedelta(days=90), start - datetime.timedelta(days=30))
    assert dates[during].mean() > 2.5 * dates[before].mean()
    candles = sim.quantities["candles", "main"]
    assert candles[_days(sim, datetime.date(2025, 12, 14), datetime.date(2025, 12, 24))].mean() > \
        2.5 * candles[_days(sim, datetime.date(2025, 10, 1), datetime.date(2025, 10, 31))].mean()


def test_black_friday(sim):
    bf = simulation.black_friday(2025)
    assert bf == datetime.date(2025, 11, 28)
    earbuds = sim.quantities["earbuds", "main"]
    previous_fridays = [sim.dates.index(bf - datetime.timedelta(weeks=w)) for w in (2, 3, 4, 5)]
    assert earbuds[sim.dates.index(bf)] > 2 * earbuds[previous_fridays].mean()


def test_holidays_close_the_shops(sim):
    new_year = sim.dates.index(datetime.date(2026, 1, 1))
    assert all(qty[new_year] == 0 for qty in sim.quantities.values())
    throne_day = sim.dates.index(datetime.date(2025, 7, 30))
    assert all(qty[throne_day] == 0 for (p, w), qty in sim.quantities.items() if w == "casablanca")
    assert sum(qty[throne_day] for (p, w), qty in sim.quantities.items() if w == "main") > 0


def test_promotions_lift_sales_and_carry_a_discount(sim):
    qty, discount = sim.quantities["laundry", "main"], sim.discounts["laundry", "main"]
    promo = discount > 0
    assert promo.sum() >= 14
    assert qty[promo].mean() > 1.3 * qty[~promo & (qty > 0)].mean()


def test_anomalies(sim):
    kinds = Counter(a.kind for a in sim.anomalies)
    assert kinds == {"spike": 4, "stockout": 3}
    for anomaly in sim.anomalies:
        qty = sim.quantities[anomaly.product, anomaly.warehouse]
        first, last = sim.dates.index(anomaly.first_day), sim.dates.index(anomaly.last_day)
        if anomaly.kind == "spike":
            assert qty[first] > 5 * max(1, np.median(qty[first - 28:first]))
        else:
            assert last - first + 1 >= 10 and not qty[first:last + 1].any()
            assert qty[first - 28:first].mean() > 1


def test_slow_movers_and_new_products(sim):
    slow = sim.quantities["thermometer", "main"]
    assert (slow == 0).mean() > 0.6 and slow.sum() > 20
    for key in ("car_holder", "air_freshener", "hdmi_adapter"):
        launched = next(p for p in catalog.PRODUCTS if p.key == key).launched_days_ago
        qty = sim.quantities[key, "main"] + sim.quantities[key, "casablanca"]
        assert not qty[:-launched].any()
        assert qty[-launched:].any()
