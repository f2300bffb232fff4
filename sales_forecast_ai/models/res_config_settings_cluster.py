"""The "Forecast cluster" setting: where the forecast job runs its per-series shards on Dask.

Both values are system parameters that only administrators see or change (``groups``): an address
tells the job where to send the company's sales history, which a Forecast Manager must not redirect.
"""
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine.cluster_address import DEFAULT_PORT, MAX_WORKERS, parse_scheduler_address, parse_workers


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    forecast_dask_scheduler = fields.Char(
        "Forecast Cluster", config_parameter="sales_forecast_ai.dask_scheduler", groups="base.group_system",
        help="Address of an existing Dask scheduler that runs the forecast's per-product work, e.g. "
             "tcp://dask-scheduler:8786 or tls://10.0.0.5:8786. The sales history of the run is sent to it. "
             "Empty: a local cluster on this server, one worker process per CPU unless set below.")
    forecast_dask_workers = fields.Integer(
        "Local Cluster Workers", config_parameter="sales_forecast_ai.dask_workers", groups="base.group_system",
        help="Worker processes of the local cluster when no address is set (0: one per CPU). "
             "An existing cluster keeps its own workers.")

    @api.constrains("forecast_dask_scheduler", "forecast_dask_workers")
    def _check_forecast_cluster(self):
        for settings in self:
            try:
                parse_scheduler_address(settings.forecast_dask_scheduler)
            except ValueError:
                raise ValidationError(_(
                    "The forecast cluster must be the address of a Dask scheduler, tcp://host:port or "
                    "tls://host:port with a port from 1 to 65535 (e.g. tcp://dask-scheduler:%(port)s), or empty "
                    "for a local cluster on this server. Got: %(value)s",
                    port=DEFAULT_PORT, value=settings.forecast_dask_scheduler)) from None
            try:
                parse_workers(settings.forecast_dask_workers)
            except ValueError:
                raise ValidationError(_(
                    "The number of local cluster workers must be from 0 (one per CPU) to %(max)s, got %(value)s.",
                    max=MAX_WORKERS, value=settings.forecast_dask_workers)) from None
