"""Every term the add-on exports (menus, fields, views, wizard, error messages, JS strings) has a
French and an Arabic translation. When it fails, run tests/tools/i18n_missing.py for the list."""
import os
import tempfile

from odoo.tests import TransactionCase, tagged

from . import i18n_check


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):

    def test_pot_is_shipped(self):
        self.assertTrue(os.path.exists(os.path.join(i18n_check.I18N_DIR, f"{i18n_check.MODULE}.pot")))

    def test_every_exported_term_is_translated(self):
        terms = i18n_check.exported_terms(self.env.cr)
        self.assertGreater(len(terms), 100, "the export found the add-on's terms")
        missing = i18n_check.missing_terms(self.env.cr)
        for lang, untranslated in missing.items():
            with self.subTest(lang=lang):
                if untranslated:
                    self.fail(f"{len(untranslated)} terms have no translation in i18n/{lang}.po (list them with "
                              f"tests/tools/i18n_missing.py), e.g.: {untranslated[:5]}")

    def test_check_detects_a_missing_term(self):
        """The check itself: a .po missing one exported term (or holding it empty) is reported."""
        import polib  # noqa: PLC0415 - Odoo's own dependency
        terms = sorted(i18n_check.exported_terms(self.env.cr))
        po = polib.POFile()
        for term in terms[2:]:
            po.append(polib.POEntry(msgid=term, msgstr="x"))
        po.append(polib.POEntry(msgid=terms[0], msgstr=""))  # present but empty; terms[1] absent
        with tempfile.TemporaryDirectory() as tmp:
            po.save(os.path.join(tmp, "fr.po"))
            missing = i18n_check.missing_terms(self.env.cr, languages=("fr",), i18n_dir=tmp)
        self.assertEqual(missing, {"fr": terms[:2]})
