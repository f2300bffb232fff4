#!/usr/bin/env python3
"""Benchmark of forecasting inside Odoo (a script, not a test): figures per phase on generated data.

In a real Odoo 18 database with sales_forecast_ai installed, it generates a company with
1,000 storable products x 2 warehouses x 2 years of confirmed sale lines (>= 500k lines, written
with SQL from one template order so every NOT NULL column is right), then prints:

  * history extraction time (sale.report read + panel), target <= 10 s;
  * the complete scheduled run, driven call after call exactly like ir.cron (one transaction
    per call, progress records), per phase and in total, target <= 5 min on 2 cores, and the
    longest call (Odoo kills a cron call after 120 s);
  * the peak RSS of the Odoo process running the cron (target < 1.5 GB) and of the training child.

The run phase executes in a fresh process, so its peak RSS is the cron worker's, not the data
generator's. Usage (Odoo's Python):

  python tests/benchmarks/bench_odoo_forecast.py -c /srv/sfai-dev.conf -d DB [--products 1000]
      [--days 730] [--sell-rate 0.36] [--models naive,ets,...] [--skip-generate]
"""
import argparse
import datetime
import os
import resource
import subprocess
import sys
import time

BENCH_COMPANY = "SFAI Benchmark Co"


def odoo_env(config, db):
    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(["-c", config, "-d", db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(db)
    return registry, lambda cr: api.Environment(cr, SUPERUSER_ID, {})


def generate(env, n_products, n_days, sell_rate, seed=42):
    """Company, warehouses, products and confirmed sale lines; returns the number of lines."""
    from odoo import Command

    cr = env.cr
    if env["res.company"].search([("name", "=", BENCH_COMPANY)], limit=1):
        sys.exit(f"{BENCH_COMPANY} exists already in this database; use --skip-generate or a new database")
    started = time.perf_counter()
    company = env["res.company"].create({"name": BENCH_COMPANY, "forecast_history_days": n_days})
    # The country gives the networks public holidays; set on the partner directly, because a company
    # created with a country installs that country's accounting localisation.
    cr.execute("UPDATE res_partner SET country_id = %s WHERE id = %s", [env.ref("base.fr").id, company.partner_id.id])
    company.invalidate_recordset()
    company.partner_id.invalidate_recordset()
    env.user.company_ids |= company
    env = env(context={"allowed_company_ids": company.ids, "tracking_disable": True})
    wh1 = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1) or \
        env["stock.warehouse"].create({"name": "Bench South", "code": "BSO", "company_id": company.id})
    wh2 = env["stock.warehouse"].create({"name": "Bench North", "code": "BNO", "company_id": company.id})
    products = env["product.product"].create([{
        "name": f"Bench product {i:04d}", "default_code": f"BENCH-{i:04d}", "type": "consu",
        "is_storable": True, "list_price": 10.0, "company_id": company.id} for i in range(n_products)])
    customer = env["res.partner"].create({"name": "Bench customer", "company_id": company.id})
    template = env["sale.order"].create({
        "partner_id": customer.id, "company_id": company.id, "warehouse_id": wh1.id,
        "order_line": [Command.create({"product_id": products[0].id, "product_uom_qty": 1})]})
    env.flush_all()
    print(f"  products, warehouses, template order: {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    today = datetime.date.today()
    first_day = today - datetime.timedelta(days=n_days)
    order_cols = _columns(cr, "sale_order")
    line_cols = _columns(cr, "sale_order_line")
    cr.execute("SELECT setseed(%s)", [seed / 1000.0])
    # One order per warehouse and day; every column copied from the template unless overridden.
    order_over = {
        "name": "'BENCH/' || w.code || '/' || to_char(d.day, 'YYYYMMDD')",
        "date_order": "d.day + interval '10 hours'", "state": "'sale'", "warehouse_id": "w.id",
        "create_date": "now()", "write_date": "now()",
    }
    cr.execute(f"""
        INSERT INTO sale_order ({', '.join(order_cols)})
        SELECT {', '.join(order_over.get(c, f"t.{c}") for c in order_cols)}
          FROM sale_order t,
               (SELECT id, code FROM stock_warehouse WHERE id IN %s) w,
               generate_series(%s::date, %s::date, interval '1 day') AS d(day)
         WHERE t.id = %s
    """, [(wh1.id, wh2.id), first_day, today - datetime.timedelta(days=1), template.id])
    # Lines: each product x warehouse x day sells with probability ~sell_rate (product-dependent, so some
    # products are intermittent); quantity = level x weekday x trend x noise.
    line_over = {
        "order_id": "o.id", "product_id": "p.id", "product_uom_qty": "q.qty", "qty_delivered": "0",
        "qty_invoiced": "0", "qty_to_invoice": "0", "state": "'sale'", "warehouse_id": "o.warehouse_id",
        "product_template_id": "p.product_tmpl_id",
        "create_date": "now()", "write_date": "now()",
    }
    cr.execute(f"""
        INSERT INTO sale_order_line ({', '.join(line_cols)})
        SELECT {', '.join(line_over.get(c, f"t.{c}") for c in line_cols)}
          FROM sale_order_line t,
               sale_order o,
               (SELECT id, product_tmpl_id, row_number() OVER (ORDER BY id) AS k
                  FROM product_product WHERE id IN %s) p,
               LATERAL (SELECT greatest(1, round((2 + (p.k %% 17)) * (1 + 0.4 * sin(2 * pi() *
                               extract(dow FROM o.date_order) / 7)) * (1 + 0.3 * (o.date_order::date - %s) / %s)
                               * (0.5 + random())))::numeric AS qty) q
         WHERE t.order_id = %s AND o.name LIKE 'BENCH/%%'
           -- o.id * 0 keeps the draw per product AND order (alone, PostgreSQL draws once per product)
           AND random() + o.id * 0 < %s * (CASE WHEN p.k %% 7 = 0 THEN 0.25 ELSE 1.15 END)
    """, [tuple(products.ids), first_day, n_days, template.id, sell_rate])
    n_lines = cr.rowcount
    cr.execute("ANALYZE sale_order; ANALYZE sale_order_line")
    env.invalidate_all()
    print(f"  {n_lines:,} confirmed sale lines inserted in {time.perf_counter() - started:.1f} s")
    return company.id, n_lines


def _columns(cr, table):
    cr.execute("""SELECT column_name FROM information_schema.columns
                   WHERE table_name = %s AND column_name != 'id' ORDER BY ordinal_position""", [table])
    return [r[0] for r in cr.fetchall()]


def run_phase(config, db, models, max_calls):
    """The cron worker's side; runs in its own process (see module docstring)."""
    registry, make_env = odoo_env(config, db)
    with registry.cursor() as cr:
        env = make_env(cr)
        company = env["res.company"].search([("name", "=", BENCH_COMPANY)], limit=1)
        Run = env["sales.forecast.run"]
        Demand = env["sales.forecast.demand"]
        today = datetime.date.today()
        started = time.perf_counter()
        frame = Demand._get_demand_frame(company, today - datetime.timedelta(days=company.forecast_history_days),
                                         today)
        read_s = time.perf_counter() - started
        print(f"history extraction: {read_s:.2f} s for {len(frame):,} product x warehouse x day rows "
              f"({frame['quantity'].sum():,.0f} units){'  OK' if read_s <= 10 else '  ABOVE 10 s TARGET'}")
        Run.search([("company_id", "=", company.id), ("state", "in", ("queued", "running"))]).write(
            {"state": "cancelled"})
        vals = Run._prepare_run_vals(company, trigger="cron")
        if models:
            vals["model_pool"] = models
        run = Run.create(vals)
        run_id = run.id
        cr.commit()
    cron_id = None
    calls, wall = [], time.perf_counter()
    while True:
        with registry.cursor() as cr:
            env = make_env(cr)
            cron = env.ref("sales_forecast_ai.ir_cron_forecast_run")
            cron_id = cron.id
            cron, progress = cron._add_progress()
            cr.commit()
            t0 = time.perf_counter()
            env["sales.forecast.run"].with_context(ir_cron_progress_id=progress.id, cron_id=cron_id) \
                ._cron_process(schedule=False)
            cr.commit()
            run = env["sales.forecast.run"].browse(run_id)
            calls.append((time.perf_counter() - t0, progress.done, progress.remaining, run.phase or run.state))
            print(f"  call {len(calls):2d}: {calls[-1][0]:6.1f} s  done={progress.done:<5} "
                  f"remaining={progress.remaining:<5} -> {calls[-1][3]} {run.progress:.0f}%", flush=True)
            if run.state not in ("queued", "running") or len(calls) >= max_calls:
                break
    total = time.perf_counter() - wall
    with registry.cursor() as cr:
        run = make_env(cr)["sales.forecast.run"].browse(run_id)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print(f"\nrun {run.name}: {run.state}  series {run.series_total:,} saved {run.series_done:,} "
              f"failed {run.series_failed:,}")
        if run.error_message:
            print(f"  error: {run.error_message}")
        print(f"  phase extract (read history, write job input): {run.time_extract:7.1f} s")
        print(f"  phase train (child process, all models):       {run.time_train:7.1f} s")
        print(f"  phase write (save results, {len(calls)} calls):       {run.time_write:7.1f} s")
        print(f"  engine phases: {run.engine_timings or '-'}")
        print(f"  complete scheduled run, wall:                  {total:7.1f} s"
              f"{'  OK' if total <= 300 else '  ABOVE 5 MIN TARGET'}")
        print(f"  longest cron call: {max(c[0] for c in calls):.1f} s (limit 120 s)")
        print(f"  peak RSS of the Odoo (cron) process: {rss_mb:,.0f} MB"
              f"{'  OK' if rss_mb < 1536 else '  ABOVE 1.5 GB TARGET'}; training child: {run.child_peak_rss:,.0f} MB")
        scores = run.score_ids.sorted("mase")
        if scores:
            print("  model comparison (pooled):")
            for s in scores:
                print(f"    {s.model:16s} {s.family or '':12s} MASE {s.mase:6.3f} RMSE {s.rmse:8.3f} "
                      f"params {s.n_params:>8,} wins {s.wins:>5,}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--sell-rate", type=float, default=0.36)
    parser.add_argument("--models", default="", help="engine model pool (default: the configured pool)")
    parser.add_argument("--skip-generate", action="store_true")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--max-calls", type=int, default=200)
    parser.add_argument("--phase", choices=["all", "run"], default="all", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "run":
        run_phase(args.config, args.database, args.models, args.max_calls)
        return
    if not args.skip_generate:
        registry, make_env = odoo_env(args.config, args.database)
        print(f"generating {args.products} products x 2 warehouses x {args.days} days ...")
        with registry.cursor() as cr:
            __, n_lines = generate(make_env(cr), args.products, args.days, args.sell_rate)
            cr.commit()
        if n_lines < 500_000:
            print(f"  note: {n_lines:,} lines is below the 500,000 of the target data set")
        if args.generate_only:
            return
    cmd = [sys.executable, os.path.abspath(__file__), "-c", args.config, "-d", args.database, "--phase", "run",
           "--max-calls", str(args.max_calls)]
    if args.models:
        cmd += ["--models", args.models]
    sys.exit(subprocess.call(cmd))


if __name__ == "__main__":
    main()
