"""Two years of daily demand per product and warehouse, then split into customer orders.

Deterministic: the same catalog, end date and seed always give the same history. Each (product,
warehouse) series draws from its own generator seeded by (seed, product index, warehouse index), so
adding a product to the catalog does not reshuffle the others.
"""
import datetime
from dataclasses import dataclass, field

import numpy as np

from . import catalog

DEFAULT_SEED = 20240611
HISTORY_DAYS = 730

# Ramadan follows the lunar year (~354.37 days); anchored on 1 Ramadan 1445 = 2024-03-11.
_RAMADAN_ANCHOR = datetime.date(2024, 3, 11)
_LUNAR_YEAR_DAYS = 354.367
RAMADAN_DAYS = 30
EID_AL_ADHA_OFFSET = 97     # days from 1 Ramadan to Eid al-Adha (10 Dhu al-Hijjah)
_NEGBIN_SHAPE = 10.0        # gamma-Poisson overdispersion of daily sales (lower = noisier)
_INTERMITTENT_MEAN_SIZE = 1.5


@dataclass
class Anomaly:
    kind: str               # "spike" (one bulk order) or "stockout" (nothing sold: empty shelf)
    product: str
    warehouse: str
    first_day: datetime.date
    last_day: datetime.date


@dataclass
class Simulation:
    dates: list                                   # datetime.date per day, oldest first
    quantities: dict = field(default_factory=dict)  # (product key, warehouse key) -> int array per day
    discounts: dict = field(default_factory=dict)   # same keys -> promotion discount % per day
    anomalies: list = field(default_factory=list)


@dataclass(frozen=True)
class DemoOrder:
    warehouse: str
    customer: str
    date: datetime.date
    minute: int             # minute of the day (UTC) the order was placed
    lines: tuple            # ((product key, quantity, discount %), ...)


def ramadan_starts(first, last):
    """First days of every Ramadan that overlaps [first - 1 year, last]."""
    k_min = int(np.floor((first - _RAMADAN_ANCHOR).days / _LUNAR_YEAR_DAYS)) - 1
    k_max = int(np.ceil((last - _RAMADAN_ANCHOR).days / _LUNAR_YEAR_DAYS)) + 1
    return [_RAMADAN_ANCHOR + datetime.timedelta(days=round(k * _LUNAR_YEAR_DAYS)) for k in range(k_min, k_max + 1)]


def black_friday(year):
    """The Friday after the fourth Thursday of November."""
    first = datetime.date(year, 11, 1)
    first_thursday = first + datetime.timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + datetime.timedelta(days=22)


def _day_offsets(dates, anchor):
    return np.array([(d - anchor).days for d in dates])


def _window(offsets, start, length):
    return (offsets >= start) & (offsets < start + length)


def calendar_multiplier(product, warehouse, dates):
    """Weekday x season x trend x holiday-event effect for one series, one value per day."""
    n = len(dates)
    first = dates[0]
    offsets = np.arange(n)
    profile = catalog.WEEKLY_PROFILES[_category(product.category).weekly_profile]
    mult = np.array([profile[d.weekday()] for d in dates], dtype=float)
    if product.season_amplitude:
        doy = np.array([d.timetuple().tm_yday for d in dates])
        mult *= 1 + product.season_amplitude * np.cos(2 * np.pi * (doy - product.season_peak_day) / 365.25)
    years_to_end = (offsets - (n - 1)) / 365.25
    mult *= (1 + product.yearly_growth) ** years_to_end * (1 + warehouse.yearly_growth) ** years_to_end

    uplift = np.zeros(n)
    for start in ramadan_starts(first, dates[-1]):
        s = (start - first).days
        strength = product.ramadan_uplift * warehouse.ramadan_weight
        uplift = np.maximum(uplift, strength * _window(offsets, s - 3, RAMADAN_DAYS + 3))
        uplift = np.maximum(uplift, 1.3 * strength * _window(offsets, s + RAMADAN_DAYS - 3, 3))  # Eid shopping
        uplift = np.maximum(uplift, 0.5 * strength * _window(offsets, s + EID_AL_ADHA_OFFSET - 7, 7))
    for year in range(first.year, dates[-1].year + 1):
        dec1 = (datetime.date(year, 12, 1) - first).days
        ramp = np.clip((offsets - dec1 + 1) / 24, 0, 1) * _window(offsets, dec1, 24)
        uplift = np.maximum(uplift, product.christmas_uplift * warehouse.christmas_weight * ramp)
        feb7 = (datetime.date(year, 2, 7) - first).days
        uplift = np.maximum(uplift, product.valentine_uplift * np.clip((offsets - feb7 + 1) / 8, 0, 1)
                            * _window(offsets, feb7, 8))
        bf = (black_friday(year) - first).days
        uplift = np.maximum(uplift, product.black_friday_uplift * _window(offsets, bf, 1))
        uplift = np.maximum(uplift, 0.5 * product.black_friday_uplift * _window(offsets, bf + 1, 3))
        school = (datetime.date(year, 8, 25) - first).days
        peak = 1 - np.abs(offsets - (school + 8)) / 9
        uplift = np.maximum(uplift, product.back_to_school_uplift * np.clip(peak, 0, 1))
    mult *= 1 + uplift
    mult[closed_days(warehouse, dates)] = 0.0
    if product.launched_days_ago:
        age = offsets - (n - product.launched_days_ago)
        mult *= np.where(age < 0, 0.0, np.clip(0.3 + 0.7 * age / 21, 0.3, 1.0))
    return mult


def closed_days(warehouse, dates):
    """Boolean mask of the days this warehouse's customers are closed (public holidays)."""
    closed = np.array([(d.month, d.day) in warehouse.closed_days for d in dates])
    if warehouse.closed_on_eid:
        offsets = _day_offsets(dates, dates[0])
        for start in ramadan_starts(dates[0], dates[-1]):
            s = (start - dates[0]).days
            for eid in (s + RAMADAN_DAYS, s + EID_AL_ADHA_OFFSET):
                closed |= _window(offsets, eid, 2)
    return closed


def _promotions(product, n, rng):
    """Uplift and discount per day: a few 1-2 week promotions, each followed by a pantry-loading dip."""
    uplift = np.ones(n)
    discount = np.zeros(n)
    for _ in range(rng.poisson(product.promos_per_year * n / 365.25)):
        start = int(rng.integers(0, n - 14))
        length = int(rng.integers(7, 15))
        boost = 1 + rng.uniform(0.5, 1.3)
        uplift[start:start + length] = np.maximum(uplift[start:start + length], boost)
        discount[start:start + length] = rng.choice([10.0, 15.0, 20.0, 25.0])
        after = slice(start + length, start + length + 7)
        uplift[after] = np.where(discount[after] > 0, uplift[after], 0.8)
    return uplift, discount


def _draw(product, rate, rng):
    if product.pattern == "intermittent":
        occurs = rng.random(len(rate)) < 1 - np.exp(-rate / _INTERMITTENT_MEAN_SIZE)
        return np.where(occurs, 1 + rng.poisson(_INTERMITTENT_MEAN_SIZE - 1, len(rate)), 0)
    return rng.poisson(rng.gamma(_NEGBIN_SHAPE, rate / _NEGBIN_SHAPE))


def simulate(end_date, days=HISTORY_DAYS, seed=DEFAULT_SEED, products=catalog.PRODUCTS,
             warehouses=catalog.WAREHOUSES):
    """Daily units sold per (product, warehouse) over the `days` days that end on `end_date`."""
    dates = [end_date - datetime.timedelta(days=days - 1 - i) for i in range(days)]
    sim = Simulation(dates=dates)
    for p_index, product in enumerate(products):
        for w_index, warehouse in enumerate(warehouses):
            if warehouse.key not in product.warehouses:
                continue
            rng = np.random.default_rng([seed, p_index, w_index])
            promo_uplift, discount = _promotions(product, days, rng)
            rate = product.base_demand * warehouse.demand_scale * promo_uplift \
                * calendar_multiplier(product, warehouse, dates)
            qty = _draw(product, rate, rng).astype(int)
            sim.quantities[product.key, warehouse.key] = qty
            sim.discounts[product.key, warehouse.key] = np.where(qty > 0, discount, 0.0)
    _add_anomalies(sim, products, np.random.default_rng([seed, 999_999]))
    return sim


def _add_anomalies(sim, products, rng, spikes=4, stockouts=3):
    """A few bulk-order spikes and empty-shelf weeks on steady sellers, away from the last month."""
    n = len(sim.dates)
    steady = sorted(key for key in sim.quantities
                    if _product(products, key[0]).pattern == "smooth"
                    and not _product(products, key[0]).launched_days_ago
                    and _product(products, key[0]).base_demand >= 3)
    picks = rng.choice(len(steady), size=spikes + stockouts, replace=False)
    for i, pick in enumerate(picks):
        key = steady[pick]
        qty = sim.quantities[key]
        if i < spikes:
            day = int(rng.integers(30, n - 30))
            qty[day] = max(qty[day], 1) + int(round(qty[max(0, day - 28):day].mean() * rng.uniform(8, 15)))
            first = last = day
        else:
            first = int(rng.integers(30, n - 45))
            last = first + int(rng.integers(10, 21)) - 1
            qty[first:last + 1] = 0
            sim.discounts[key][first:last + 1] = 0.0
        sim.anomalies.append(Anomaly("spike" if i < spikes else "stockout", key[0], key[1],
                                     sim.dates[first], sim.dates[last]))


def build_orders(sim, customers=catalog.CUSTOMERS, seed=DEFAULT_SEED, lines_per_order=8):
    """Group each warehouse's daily sales into a handful of customer orders (one line per product)."""
    rng = np.random.default_rng([seed, 424242])
    orders = []
    by_warehouse = {}
    for (product_key, warehouse_key), qty in sim.quantities.items():
        by_warehouse.setdefault(warehouse_key, []).append((product_key, qty, sim.discounts[product_key, warehouse_key]))
    for warehouse_key in sorted(by_warehouse):
        series = by_warehouse[warehouse_key]
        buyers = [c for c in customers if c.warehouse == warehouse_key]
        weights = np.array([c.weight for c in buyers]) / sum(c.weight for c in buyers)
        for day, date in enumerate(sim.dates):
            lines = [(key, int(qty[day]), float(disc[day])) for key, qty, disc in series if qty[day] > 0]
            if not lines:
                continue
            n_orders = min(len(lines), 1 + rng.poisson(len(lines) / lines_per_order))
            owner = rng.integers(0, n_orders, size=len(lines))
            who = rng.choice(len(buyers), size=n_orders, p=weights)
            minutes = np.sort(rng.integers(7 * 60, 17 * 60, size=n_orders))
            for o in range(n_orders):
                order_lines = tuple(line for line, k in zip(lines, owner) if k == o)
                if order_lines:
                    orders.append(DemoOrder(warehouse_key, buyers[who[o]].key, date, int(minutes[o]), order_lines))
    return orders


def _category(key):
    return next(c for c in catalog.CATEGORIES if c.key == key)


def _product(products, key):
    return next(p for p in products if p.key == key)
