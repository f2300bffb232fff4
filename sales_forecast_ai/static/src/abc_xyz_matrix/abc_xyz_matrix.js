import { Component } from "@odoo/owl";
import { cookie } from "@web/core/browser/cookie";
import { getColor, hexToRGBA } from "@web/core/colors/colors";
import { _t } from "@web/core/l10n/translation";
import { formatFloat } from "@web/core/utils/numbers";

/**
 * 3 x 3 grid: ABC (share of revenue) rows, XYZ (regularity of demand) columns. A cell opens its
 * products in the segmentation list.
 */
export class AbcXyzMatrix extends Component {
    static template = "sales_forecast_ai.AbcXyzMatrix";
    static props = { data: Object, onOpen: Function };

    setup() {
        this.color = getColor(2, cookie.get("color_scheme"), "sm");
        this.rowLabels = { a: _t("A: top revenue"), b: _t("B: middle"), c: _t("C: tail") };
        this.columnLabels = { x: _t("X: steady"), y: _t("Y: variable"), z: _t("Z: erratic") };
    }

    get rows() {
        return ["a", "b", "c"].map((abc) => ({
            abc,
            cells: this.props.data.cells.filter((cell) => cell.abc === abc),
        }));
    }

    cellStyle(cell) {
        return cell.count ? `background-color: ${hexToRGBA(this.color, 0.1 + 0.8 * cell.share)};` : "";
    }

    formatShare(share) {
        return `${formatFloat(share * 100, { digits: [false, 0] })} %`;
    }

    openCell(cell) {
        const { model, domain } = this.props.data;
        this.props.onOpen({
            type: "ir.actions.act_window",
            name: _t("%(abc)s%(xyz)s products", { abc: cell.abc.toUpperCase(), xyz: cell.xyz.toUpperCase() }),
            res_model: model,
            views: [[false, "list"], [false, "form"]],
            domain: [...domain, ["abc_class", "=", cell.abc], ["xyz_class", "=", cell.xyz]],
            target: "current",
        });
    }
}
