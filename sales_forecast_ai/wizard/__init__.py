from . import sales_history_import
from . import sales_history_import_column
from . import sales_history_import_matching
from . import sales_history_import_writing
