#!/usr/bin/env python3
"""Recommender hold-out benchmark (a script, not a test): item-item CF against popularity.

Time-based hold-out: transactions before the split date train, each customer's purchases after
it are the truth (the last ``--test-fraction`` of the calendar). Printed per data set:
precision@10, recall@10, coverage, fit+recommend time, for ItemKNN and the popularity baseline.
Two modes: "new products only" (products a customer bought before the split are neither
recommended nor counted: discovery) and "all products" (re-orders count: what the customer orders
next). The demo database is judged in the second mode only: its dozen customers have bought nearly
every product, so there is nothing left to discover.

Data sets:
  * online retail: /work/shared/data/online_retail_ii_2009_2010.csv.gz (or --retail PATH), cancelled
    invoices and lines without customer dropped;
  * demo data: with ``-c CONF -d DB`` (Odoo's Python), the confirmed sale lines of each company of
    that database, read by the add-on's own reader.

  python tests/benchmarks/bench_recommender.py [--retail PATH] [-c odoo.conf -d DB]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import pandas as pd  # noqa: E402

from sales_forecast_ai.engine.recommender import ItemKNN, Popularity, evaluate, holdout_split  # noqa: E402

RETAIL = "/work/shared/data/online_retail_ii_2009_2010.csv.gz"


def load_retail(path):
    df = pd.read_csv(path, dtype={"Invoice": str, "StockCode": str, "Customer ID": "float64"})
    df = df[df["Customer ID"].notna() & (df["Quantity"] > 0) & ~df["Invoice"].str.startswith("C")]
    return pd.DataFrame({"user": df["Customer ID"].astype(int), "item": df["StockCode"],
                         "date": pd.to_datetime(df["InvoiceDate"]), "basket": df["Invoice"]})


def load_odoo(config, db):
    import datetime

    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(["-c", config, "-d", db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(db)
    frames = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Reco = env["sales.forecast.recommendation"]
        today = datetime.date.today()
        for company in env["res.company"].search([]):
            frame = Reco._get_purchase_frame(company, today - datetime.timedelta(days=730),
                                             today + datetime.timedelta(days=1))
            if len(frame):
                frames[company.name] = pd.DataFrame({"user": frame["partner"], "item": frame["product"],
                                                     "date": frame["date"], "basket": frame["order"]})
    return frames


def bench(name, frame, test_fraction, n=10, exclude_known=True):
    train, test, split = holdout_split(frame, test_fraction)
    mode = "new products only" if exclude_known else "all products (re-orders count)"
    print(f"\n== {name}: {len(frame):,} lines, {frame['user'].nunique():,} customers, "
          f"{frame['item'].nunique():,} products; split {split:%Y-%m-%d}; {mode}")
    out = {}
    for label, model in (("popularity", Popularity()), ("item-knn", ItemKNN())):
        started = time.perf_counter()
        scores = evaluate(model, train, test, n=n, basket_col="basket", exclude_known=exclude_known)
        scores["seconds"] = time.perf_counter() - started
        out[label] = scores
        print(f"  {label:<11} precision@{n} {scores['precision']:.4f}  recall@{n} {scores['recall']:.4f}  "
              f"coverage {scores['coverage']:.3f}  users {scores['users']}  {scores['seconds']:.1f} s")
    beats = out["item-knn"]["precision"] > out["popularity"]["precision"] and \
        out["item-knn"]["recall"] > out["popularity"]["recall"]
    print(f"  item-knn beats popularity: {'YES' if beats else 'NO'}")
    return beats


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--retail", default=RETAIL)
    parser.add_argument("--test-fraction", type=float, default=0.15)
    parser.add_argument("--odoo-test-fraction", type=float, default=0.02,
                        help="hold-out of the Odoo data: ~two weeks of two years, the next orders a quotation "
                             "suggestion is about (a dozen demo customers re-order every product within a month)")
    parser.add_argument("-c", "--config")
    parser.add_argument("-d", "--database")
    args = parser.parse_args()
    ok = True
    if args.config and args.database:
        # Demo customers have bought nearly every product: judge what they order next, re-orders included.
        for name, frame in load_odoo(args.config, args.database).items():
            ok &= bench(f"Odoo {name}", frame, args.odoo_test_fraction, exclude_known=False)
    if os.path.exists(args.retail):
        started = time.perf_counter()
        frame = load_retail(args.retail)
        print(f"(online retail read in {time.perf_counter() - started:.1f} s)")
        ok &= bench("online retail II 2009-2010", frame, args.test_fraction)
        ok &= bench("online retail II 2009-2010", frame, args.test_fraction, exclude_known=False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
