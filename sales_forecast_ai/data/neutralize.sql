-- A neutralized copy (staging, support) must not call Groq with the production key or spend the
-- night training forecasts on its own. Every cron of the add-on stops, whatever its name.
DELETE FROM ir_config_parameter
 WHERE key = 'sales_forecast_ai.groq_api_key';

UPDATE ir_cron
   SET active = false
 WHERE id IN (
       SELECT res_id
         FROM ir_model_data
        WHERE module = 'sales_forecast_ai'
          AND model = 'ir.cron'
);

-- Nor send its (copied) sales history to the production Dask cluster: runs fall back to a local one.
DELETE FROM ir_config_parameter
 WHERE key = 'sales_forecast_ai.dask_scheduler';
