"""Where a run's job sends its shards: the "Forecast cluster" setting, read and checked again.

The parameters are read as superuser because every run needs them while only administrators may
read them; they are parsed again rather than trusted, as System Parameters can be edited freely.
"""
from odoo import _, api, models
from odoo.exceptions import UserError

from ..engine.cluster_address import cluster_params


class SalesForecastRun(models.Model):
    _inherit = "sales.forecast.run"

    def _start(self):
        # The parameters were read and checked before the child started (see the job input), so a
        # bad setting fails the run before anything runs; here the run's log says where it went.
        super()._start()
        cluster = self._get_cluster_params()
        if cluster["address"]:
            self._append_log(_("Per-product work sent to the Dask cluster at %s.", cluster["address"]))
        elif cluster["workers"]:
            self._append_log(_("Per-product work runs on a local Dask cluster of %s worker processes.",
                               cluster["workers"]))
        else:
            self._append_log(_("Per-product work runs on a local Dask cluster, one worker process per CPU."))

    @api.model
    def _get_cluster_params(self):
        """``{"address": str, "workers": int}`` of the job input; UserError when the setting is invalid."""
        # sudo: system parameters only administrators may read, needed by every user's run
        params = self.env["ir.config_parameter"].sudo()
        address = params.get_param("sales_forecast_ai.dask_scheduler") or ""
        workers = params.get_param("sales_forecast_ai.dask_workers") or 0
        try:
            return cluster_params(address, workers)
        except ValueError as exc:
            raise UserError(_("The Forecast cluster setting is invalid (%s): correct it in Settings > Sales "
                              "Forecast, or empty it to run on this server.", exc)) from None
