"""What the demo company sells, where, to whom and from whom.

Every product carries the demand pattern the simulation gives it, so each screen of the add-on has a
case to show: smooth weekly sellers, yearly seasons (winter flu, summer sun, Ramadan, Christmas, Black
Friday, back to school), growth and decline, promotions, slow intermittent movers and recent launches.
`base_demand` is the mean number of units sold per day in the main warehouse at the END of the history,
before weekday, season and event effects.
"""
from dataclasses import dataclass

# Weekday multipliers, Monday first: shops sell most on Friday/Saturday, little on Sunday.
WEEKLY_PROFILES = {
    "grocery": (0.85, 0.85, 0.9, 0.95, 1.15, 1.45, 0.55),
    "pharmacy": (1.05, 1.0, 1.0, 1.0, 1.05, 0.95, 0.45),
    "household": (0.9, 0.85, 0.9, 0.95, 1.1, 1.5, 0.6),
    "electronics": (0.8, 0.8, 0.85, 0.9, 1.1, 1.6, 0.85),
}


@dataclass(frozen=True)
class DemoCategory:
    key: str
    name: str
    weekly_profile: str


@dataclass(frozen=True)
class DemoWarehouse:
    key: str
    name: str
    code: str                   # stock.warehouse.code (5 characters at most)
    city: str
    country_code: str
    demand_scale: float         # share of the main warehouse's volume
    ramadan_weight: float       # how strongly Ramadan/Eid move this city's demand
    christmas_weight: float
    yearly_growth: float = 0.0
    closed_days: tuple = ()     # fixed public holidays (month, day): shops closed
    closed_on_eid: bool = False
    existing_xmlid: str = ""    # rename this warehouse (its code stays) instead of creating one


@dataclass(frozen=True)
class DemoVendor:
    key: str
    name: str
    city: str
    country_code: str


@dataclass(frozen=True)
class DemoCustomer:
    key: str
    name: str
    city: str
    country_code: str
    warehouse: str              # the warehouse that serves this customer
    weight: float = 1.0         # relative share of that warehouse's orders


@dataclass(frozen=True)
class DemoSupply:
    vendor: str
    lead_days: int              # product.supplierinfo.delay
    min_qty: float              # product.supplierinfo.min_qty (MOQ)
    price_ratio: float = 0.6    # purchase price as a share of the sale price


@dataclass(frozen=True)
class DemoProduct:
    key: str
    name: str
    category: str
    default_code: str
    list_price: float
    base_demand: float
    supplies: tuple
    pattern: str = "smooth"     # smooth | intermittent
    season_peak_day: int = 0    # day of year of the yearly peak (0: no yearly season)
    season_amplitude: float = 0.0
    yearly_growth: float = 0.0  # +0.3 = 30% more per year
    ramadan_uplift: float = 0.0
    christmas_uplift: float = 0.0
    black_friday_uplift: float = 0.0
    back_to_school_uplift: float = 0.0
    valentine_uplift: float = 0.0
    promos_per_year: float = 0.5
    launched_days_ago: int = 0  # 0: sold over the whole history
    warehouses: tuple = ("main", "casablanca")
    stock_days: float = 20.0    # on-hand stock today, in days of current demand


CATEGORIES = (
    DemoCategory("grocery", "Grocery", "grocery"),
    DemoCategory("pharmacy", "Pharmacy & Health", "pharmacy"),
    DemoCategory("household", "Household", "household"),
    DemoCategory("electronics", "Electronics Accessories", "electronics"),
)

WAREHOUSES = (
    DemoWarehouse("main", "Lyon", "WH", "Lyon", "FR", 1.0, 0.35, 1.0, 0.02,
                  closed_days=((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)),
                  existing_xmlid="stock.warehouse0"),
    DemoWarehouse("casablanca", "Casablanca", "CASA", "Casablanca", "MA", 0.8, 1.0, 0.25, 0.15,
                  closed_days=((1, 1), (1, 11), (5, 1), (7, 30), (8, 14), (8, 20), (8, 21), (11, 6), (11, 18)),
                  closed_on_eid=True),
)

VENDORS = (
    DemoVendor("atlas_food", "Atlas Food Distribution", "Casablanca", "MA"),
    DemoVendor("oasis_dates", "Oasis Dates & Spices", "Marrakech", "MA"),
    DemoVendor("pharmadis", "PharmaDis Maghreb", "Rabat", "MA"),
    DemoVendor("rhone_sante", "Laboratoires Rhône Santé", "Lyon", "FR"),
    DemoVendor("maison_propre", "Maison Propre SARL", "Villeurbanne", "FR"),
    DemoVendor("shenzhen_link", "Shenzhen Link Accessories", "Shenzhen", "CN"),
    DemoVendor("lyon_tech", "Lyon Tech Distribution", "Lyon", "FR"),
)

CUSTOMERS = (
    DemoCustomer("vieux_lyon", "Épicerie du Vieux Lyon", "Lyon", "FR", "main", 1.5),
    DemoCustomer("bellecour", "Pharmacie Bellecour", "Lyon", "FR", "main", 1.0),
    DemoCustomer("croix_rousse", "Supérette Croix-Rousse", "Lyon", "FR", "main", 1.2),
    DemoCustomer("part_dieu", "Droguerie Part-Dieu", "Lyon", "FR", "main", 0.8),
    DemoCustomer("villeurbanne", "Tech Corner Villeurbanne", "Villeurbanne", "FR", "main", 0.7),
    DemoCustomer("al_baraka", "Épicerie Al Baraka", "Casablanca", "MA", "casablanca", 1.5),
    DemoCustomer("anfa", "Supérette Anfa", "Casablanca", "MA", "casablanca", 1.2),
    DemoCustomer("maarif", "Pharmacie Maârif", "Casablanca", "MA", "casablanca", 1.0),
    DemoCustomer("derb_sultan", "Bazar Derb Sultan", "Casablanca", "MA", "casablanca", 0.9),
    DemoCustomer("ain_sebaa", "Hanout Aïn Sebaâ", "Casablanca", "MA", "casablanca", 0.8),
)

_FOOD = DemoSupply("atlas_food", 5, 24)
_DATES = DemoSupply("oasis_dates", 14, 50, 0.55)
_PHARMA = DemoSupply("pharmadis", 3, 10, 0.65)
_RHONE = DemoSupply("rhone_sante", 10, 48, 0.58)
_HOME = DemoSupply("maison_propre", 7, 12)
_SHENZHEN = DemoSupply("shenzhen_link", 35, 100, 0.4)
_LYON_TECH = DemoSupply("lyon_tech", 4, 5, 0.62)

P = DemoProduct
PRODUCTS = (
    # Grocery: high volumes, strong weekly cycle, Ramadan and Eid peaks.
    P("couscous", "Fine Couscous 1 kg", "grocery", "GRO-001", 2.9, 14, (_FOOD,), ramadan_uplift=0.6,
      promos_per_year=1.0),
    P("olive_oil", "Extra Virgin Olive Oil 1 L", "grocery", "GRO-002", 9.5, 8, (_FOOD,), ramadan_uplift=0.4,
      christmas_uplift=0.3, promos_per_year=2.0, yearly_growth=0.05),
    P("green_tea", "Gunpowder Green Tea 500 g", "grocery", "GRO-003", 5.2, 10, (_DATES, _FOOD),
      ramadan_uplift=0.8),
    P("dates", "Medjool Dates 1 kg", "grocery", "GRO-004", 11.0, 3, (_DATES,), ramadan_uplift=3.5,
      stock_days=35),
    P("coffee", "Ground Coffee 250 g", "grocery", "GRO-005", 4.4, 9, (_FOOD,), yearly_growth=0.1,
      promos_per_year=1.5),
    P("milk", "UHT Milk 1 L, pack of 6", "grocery", "GRO-006", 6.6, 18, (_FOOD,), ramadan_uplift=0.3,
      stock_days=6),
    P("spaghetti", "Spaghetti 500 g", "grocery", "GRO-007", 1.3, 12, (_FOOD,), promos_per_year=1.0),
    P("sugar", "Sugar Cubes 1 kg", "grocery", "GRO-008", 1.9, 7, (_FOOD,), ramadan_uplift=0.7),
    P("water", "Mineral Water 1.5 L, pack of 6", "grocery", "GRO-009", 3.6, 20, (_FOOD,), season_peak_day=200,
      season_amplitude=0.45, stock_days=8),
    P("chocolate", "Dark Chocolate 100 g", "grocery", "GRO-010", 2.2, 6, (_FOOD,), christmas_uplift=1.8,
      valentine_uplift=1.2, season_peak_day=15, season_amplitude=0.25),
    # Pharmacy & Health: winter flu and summer sun seasons, slow expensive devices.
    P("paracetamol", "Paracetamol 500 mg, box of 16", "pharmacy", "PHA-001", 2.5, 9, (_PHARMA, _RHONE),
      season_peak_day=20, season_amplitude=0.5),
    P("cough_syrup", "Cough Syrup 150 ml", "pharmacy", "PHA-002", 6.9, 4, (_PHARMA,), season_peak_day=25,
      season_amplitude=0.85),
    P("sunscreen", "Sunscreen SPF 50", "pharmacy", "PHA-003", 14.5, 3, (_RHONE,), season_peak_day=195,
      season_amplitude=0.9, stock_days=45),
    P("hand_gel", "Hand Sanitizer Gel 500 ml", "pharmacy", "PHA-004", 4.9, 5, (_PHARMA,), season_peak_day=30,
      season_amplitude=0.3, yearly_growth=-0.15),
    P("vitamin_c", "Vitamin C 1000 mg, 20 tablets", "pharmacy", "PHA-005", 7.5, 3, (_RHONE, _PHARMA),
      season_peak_day=10, season_amplitude=0.6),
    P("plasters", "Assorted Plasters, box of 40", "pharmacy", "PHA-006", 3.8, 2.5, (_PHARMA,)),
    P("thermometer", "Digital Thermometer", "pharmacy", "PHA-007", 12.9, 0.35, (_RHONE,), pattern="intermittent",
      season_peak_day=20, season_amplitude=0.4),
    P("face_masks", "Surgical Masks, box of 50", "pharmacy", "PHA-008", 5.5, 4, (_PHARMA,), yearly_growth=-0.35),
    P("mosquito_spray", "Mosquito Repellent Spray", "pharmacy", "PHA-009", 8.2, 2, (_RHONE,), season_peak_day=215,
      season_amplitude=0.95),
    P("blood_pressure", "Arm Blood Pressure Monitor", "pharmacy", "PHA-010", 39.0, 0.12, (_RHONE,),
      pattern="intermittent", stock_days=90),
    # Household: steady basics, spring cleaning, Christmas candles, a slow appliance, one new product.
    P("dish_soap", "Dishwashing Liquid 750 ml", "household", "HOU-001", 2.4, 10, (_HOME,), promos_per_year=1.0),
    P("laundry", "Liquid Laundry Detergent 3 L", "household", "HOU-002", 11.9, 6, (_HOME,), promos_per_year=2.5),
    P("toilet_paper", "Toilet Paper, 12 rolls", "household", "HOU-003", 5.9, 12, (_HOME,), promos_per_year=1.0),
    P("sponges", "Kitchen Sponges, pack of 5", "household", "HOU-004", 1.8, 5, (_HOME,)),
    P("trash_bags", "Trash Bags 50 L, roll of 20", "household", "HOU-005", 3.1, 7, (_HOME,), yearly_growth=0.05),
    P("cleaner", "Multi-Surface Cleaner 1 L", "household", "HOU-006", 3.5, 5, (_HOME,), season_peak_day=100,
      season_amplitude=0.35),
    P("led_bulb", "LED Bulb E27 9 W", "household", "HOU-007", 4.2, 3, (_HOME,), season_peak_day=340,
      season_amplitude=0.3),
    P("air_freshener", "Air Freshener Diffuser", "household", "HOU-008", 7.9, 2.5, (_HOME,), launched_days_ago=75,
      stock_days=30),
    P("candles", "Scented Candles, set of 3", "household", "HOU-009", 12.5, 1.2, (_HOME,), christmas_uplift=3.0,
      season_peak_day=350, season_amplitude=0.5, warehouses=("main",)),
    P("steam_iron", "Steam Iron 2400 W", "household", "HOU-010", 34.0, 0.15, (_HOME,), pattern="intermittent",
      stock_days=60),
    # Electronics accessories: growth, Black Friday and Christmas, long lead times from Shenzhen.
    P("usb_c_cable", "USB-C Cable 1 m", "electronics", "ELE-001", 7.9, 6, (_SHENZHEN, _LYON_TECH),
      yearly_growth=0.3, black_friday_uplift=1.5),
    P("charger", "Wall Charger 20 W", "electronics", "ELE-002", 14.9, 4, (_SHENZHEN, _LYON_TECH),
      yearly_growth=0.25, black_friday_uplift=2.0, christmas_uplift=0.8),
    P("earbuds", "Bluetooth Earbuds", "electronics", "ELE-003", 29.0, 3, (_SHENZHEN,), black_friday_uplift=3.0,
      christmas_uplift=2.0, promos_per_year=1.0, stock_days=30),
    P("power_bank", "Power Bank 10000 mAh", "electronics", "ELE-004", 24.0, 2.5, (_SHENZHEN, _LYON_TECH),
      season_peak_day=200, season_amplitude=0.35, christmas_uplift=1.0, black_friday_uplift=1.5),
    P("phone_case", "Smartphone Case", "electronics", "ELE-005", 12.0, 5, (_SHENZHEN,), yearly_growth=-0.2),
    P("screen_protector", "Tempered Glass Screen Protector", "electronics", "ELE-006", 9.0, 4, (_SHENZHEN,)),
    P("usb_key", "USB Flash Drive 64 GB", "electronics", "ELE-007", 8.5, 2, (_LYON_TECH,),
      back_to_school_uplift=2.5, yearly_growth=-0.1),
    P("wireless_mouse", "Wireless Mouse", "electronics", "ELE-008", 15.0, 2, (_LYON_TECH, _SHENZHEN),
      back_to_school_uplift=1.8),
    P("car_holder", "Car Phone Holder", "electronics", "ELE-009", 13.5, 3, (_SHENZHEN,), launched_days_ago=60,
      stock_days=40),
    P("hdmi_adapter", "USB-C to HDMI Adapter", "electronics", "ELE-010", 19.0, 0.25, (_LYON_TECH,),
      pattern="intermittent", launched_days_ago=28),
)
