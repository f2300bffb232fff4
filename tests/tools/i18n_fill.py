"""Rewrite i18n/<lang>.po from the shipped .pot: every entry of the template, with the translation
already in <lang>.po or, failing that, one from the given table files (whitespace-insensitive match).

    python tests/tools/i18n_fill.py TABLE.py [TABLE.py ...]

Each TABLE.py defines ``T = [(msgid, fr, ar), ...]``. Run tests/tools/i18n_missing.py --pot first so
the template is current; entries no longer in the template are dropped. Needs polib (Odoo's venv).
"""
import os
import runpy
import sys

import polib

I18N = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "sales_forecast_ai", "i18n")
LANGS = {"fr": (1, "nplurals=2; plural=(n > 1);"), "ar": (2, "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
                                                         "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5;")}


def key(text):
    return " ".join(text.split())


def main(tables):
    table = {}
    for path in tables:
        for row in runpy.run_path(path)["T"]:
            table[key(row[0])] = row
    pot = polib.pofile(os.path.join(I18N, "sales_forecast_ai.pot"))
    for lang, (column, plural) in LANGS.items():
        path = os.path.join(I18N, f"{lang}.po")
        old = {key(e.msgid): e.msgstr for e in polib.pofile(path)} if os.path.exists(path) else {}
        po = polib.POFile(wrapwidth=78)
        po.header = pot.header
        po.metadata = {**pot.metadata, "Language": lang, "Plural-Forms": plural}
        missing = 0
        for entry in pot:
            new = polib.POEntry(msgid=entry.msgid, occurrences=entry.occurrences, comment=entry.comment,
                                tcomment=entry.tcomment, flags=list(entry.flags))
            new.msgstr = old.get(key(entry.msgid)) or (table[key(entry.msgid)][column]
                                                       if key(entry.msgid) in table else "")
            missing += not new.msgstr
            po.append(new)
        po.save(path)
        print(f"{path}: {len(po)} entries, {missing} untranslated")


if __name__ == "__main__":
    main(sys.argv[1:])
