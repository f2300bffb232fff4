"""Which terms of the add-on lack a translation, shared by the i18n test and tests/tools/i18n_missing.py.

The reference is what Odoo itself exports (``TranslationModuleReader``: model/field/selection/menu/view
terms, ``_()``/``_t()`` calls in Python and JS, QWeb templates), so a term added anywhere in the code
is checked without anyone having to list it.
"""
import io
import os

import polib

from odoo.tools.translate import TranslationFileWriter, TranslationModuleReader

MODULE = "sales_forecast_ai"
LANGUAGES = ("fr", "ar")
I18N_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "i18n")


def exported_terms(cr, module=MODULE):
    """Source terms Odoo exports for ``module`` (set of msgids)."""
    reader = TranslationModuleReader(cr, modules=[module])
    return {source for _module, _type, _name, _res_id, source, _value, _comments in reader if source}


def export_pot(cr, module=MODULE):
    """The module's .pot as text, exactly what Settings › Translations › Export writes."""
    buffer = io.BytesIO()
    reader = TranslationModuleReader(cr, modules=[module])
    TranslationFileWriter(buffer, fileformat="po", lang=None).write_rows(reader)
    return buffer.getvalue().decode()


def po_translations(lang, i18n_dir=I18N_DIR):
    """msgid -> msgstr of ``i18n/<lang>.po`` (fuzzy and obsolete entries count as missing)."""
    path = os.path.join(i18n_dir, f"{lang}.po")
    if not os.path.exists(path):
        return {}
    return {entry.msgid: entry.msgstr for entry in polib.pofile(path)
            if not entry.obsolete and "fuzzy" not in entry.flags}


def missing_terms(cr, languages=LANGUAGES, i18n_dir=I18N_DIR):
    """{lang: sorted list of exported terms with no (or an empty) translation}."""
    terms = exported_terms(cr)
    out = {}
    for lang in languages:
        translations = po_translations(lang, i18n_dir)
        out[lang] = sorted(term for term in terms if not (translations.get(term) or "").strip())
    return out
