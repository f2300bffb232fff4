
from . import sales_history_import
