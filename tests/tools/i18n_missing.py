"""Regenerate i18n/sales_forecast_ai.pot and list the terms missing from fr.po / ar.po.

Run with Odoo's python against a database where the add-on is installed (and up to date, -u first):

    /opt/odoo18/venv/bin/python tests/tools/i18n_missing.py -c odoo.conf -d DATABASE
    ... --pot          also rewrite sales_forecast_ai/i18n/sales_forecast_ai.pot
    ... --stubs DIR    write DIR/<lang>_missing.po: the missing entries, ready to translate and
                       paste into i18n/<lang>.po (or merge with msgcat)

Exit code 1 when a term is missing, so it can gate a merge.
"""
import argparse
import os
import sys

import odoo
from odoo.tools import config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--pot", action="store_true", help="rewrite i18n/sales_forecast_ai.pot")
    parser.add_argument("--stubs", metavar="DIR", help="write <lang>_missing.po files to DIR")
    args = parser.parse_args()
    config.parse_config(["-c", args.config, "-d", args.database])
    odoo.service.server.load_server_wide_modules()
    registry = odoo.modules.registry.Registry(args.database)
    from odoo.addons.sales_forecast_ai.tests import i18n_check  # noqa: PLC0415 - needs the registry

    import polib  # noqa: PLC0415

    with registry.cursor() as cr:
        if args.pot:
            path = os.path.join(i18n_check.I18N_DIR, f"{i18n_check.MODULE}.pot")
            with open(path, "w", encoding="utf-8") as pot:
                pot.write(i18n_check.export_pot(cr))
            print(f"wrote {path}")
        missing = i18n_check.missing_terms(cr)
    total = 0
    for lang, terms in missing.items():
        total += len(terms)
        print(f"== {lang}.po: {len(terms)} missing")
        for term in terms:
            print("   ", term.replace("\n", "\\n"))
        if args.stubs and terms:
            os.makedirs(args.stubs, exist_ok=True)
            stub = polib.POFile()
            stub.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": lang}
            for term in terms:
                stub.append(polib.POEntry(msgid=term, msgstr=""))
            stub.save(os.path.join(args.stubs, f"{lang}_missing.po"))
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
