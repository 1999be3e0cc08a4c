"""Static vocabularies of the synthetic data: names, places, stores, products and the groups.

Plain data, no randomness: `generate` draws from these lists. Everything here is invented or
reserved for examples (email domains are RFC 2606 `example.*` names).
"""

from __future__ import annotations

from dataclasses import dataclass, replace


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(word) for word in text.split())


FIRST_NAMES: tuple[str, ...] = _words(
    """
    Olivia Liam Emma Noah Ava Oliver Sophia Elijah Isabella James Mia William Amelia Benjamin
    Harper Lucas Evelyn Henry Abigail Alexander Emily Mason Ella Michael Elizabeth Ethan Camila
    Daniel Luna Jacob Sofia Logan Avery Jackson Mila Levi Aria Sebastian Scarlett Mateo
    Penelope Jack Layla Owen Chloe Theodore Victoria Aiden Madison Samuel Eleanor Joseph Grace
    John Nora David Riley Wyatt Zoey Matthew Hannah Luke Hazel Asher Lily Carter Ellie Julian
    Violet Grayson Lillian Leo Zoë Jayden Stella Gabriel Aurora Isaac Natalie Lincoln Emilia
    Anthony Everly Hudson Leah Dylan Aubrey Ezra Willow Thomas Addison Charles Lucy Christopher
    Audrey Jaxon Bella Maverick Nova Josiah Brooklyn Isaiah Paisley Andrew Savannah Elias
    Claire Joshua Skylar Nathan Isla Caleb Genesis Ryan Naomi Adrian Elena Miles Caroline José
    Chloé Renée François Noémie Søren Priya Arjun Mei Hiroshi Fatima Omar Aisha Kwame Ngozi
    Diego Lucía Mariana Santiago Valentina
"""
)

LAST_NAMES: tuple[str, ...] = _words(
    """
    Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
    Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
    Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen
    Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez
    Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy
    Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox
    Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price
    Alvarez Castillo Sanders Patel Myers Long Ross Foster Jiménez O'Brien Müller Núñez Peña
    García-López Nguyễn Dubois Lefèvre Kowalski Okafor Mensah Tanaka Sato Chen Wang Singh Khan
    Haddad MacDonald O'Connor Fitzgerald Schmidt Rossi Bianchi Andersen Larsen
"""
)

# Reserved for documentation (RFC 2606): no synthetic address can reach a real inbox.
EMAIL_DOMAINS: tuple[str, ...] = (
    "example.com",
    "example.net",
    "example.org",
    "mail.example.com",
    "inbox.example.net",
    "post.example.org",
)


@dataclass(frozen=True)
class City:
    name: str
    region: str
    country: str
    # US: the first three digits of the ZIP code; CA: the forward sortation area's first
    # letter; GB: the outward code.
    postal_prefix: str


CITIES: tuple[City, ...] = (
    City("New York", "NY", "US", "100"),
    City("Brooklyn", "NY", "US", "112"),
    City("Buffalo", "NY", "US", "142"),
    City("Los Angeles", "CA", "US", "900"),
    City("San Francisco", "CA", "US", "941"),
    City("San Diego", "CA", "US", "921"),
    City("Chicago", "IL", "US", "606"),
    City("Springfield", "IL", "US", "627"),
    City("Houston", "TX", "US", "770"),
    City("Austin", "TX", "US", "787"),
    City("Dallas", "TX", "US", "752"),
    City("Miami", "FL", "US", "331"),
    City("Orlando", "FL", "US", "328"),
    City("Tampa", "FL", "US", "336"),
    City("Seattle", "WA", "US", "981"),
    City("Spokane", "WA", "US", "992"),
    City("Boston", "MA", "US", "021"),
    City("Denver", "CO", "US", "802"),
    City("Atlanta", "GA", "US", "303"),
    City("Phoenix", "AZ", "US", "850"),
    City("Portland", "OR", "US", "972"),
    City("Toronto", "ON", "CA", "M"),
    City("Ottawa", "ON", "CA", "K"),
    City("Vancouver", "BC", "CA", "V"),
    City("Montréal", "QC", "CA", "H"),
    City("Calgary", "AB", "CA", "T"),
    City("London", "England", "GB", "SW1"),
    City("Manchester", "England", "GB", "M1"),
    City("Edinburgh", "Scotland", "GB", "EH1"),
    City("Cardiff", "Wales", "GB", "CF10"),
)

COUNTRIES: tuple[str, ...] = ("US", "CA", "GB")
# Share of customers per country, in COUNTRIES order.
COUNTRY_SHARES: tuple[float, ...] = (0.82, 0.11, 0.07)

# Area codes with real geographic assignments; exchanges and lines are spread over all of
# them, so a number only says "some phone in North America", as in real customer lists.
US_AREA_CODES: tuple[int, ...] = _numbers(
    """
    201 202 205 206 212 213 214 215 216 217 224 225 228 229 231 234 239 240 248 251 252 253 254
    256 260 262 267 269 270 276 281 301 302 303 304 305 307 308 309 310 312 313 314 315 316 317
    318 319 320 321 323 325 330 334 336 337 339 347 351 352 360 361 385 386 401 402 404 405 406
    407 408 409 410 412 413 414 415 417 419 423 424 425 430 432 434 435 440 443 469 478 479 480
    484 501 502 503 504 505 507 508 509 510 512 513 515 516 517 518 520 530 540 541 551 559 561
    562 563 567 570 571 573 574 575 580 585 586 601 602 603 605 606 607 608 609 610 612 614 615
    616 617 618 619 620 623 626 630 631 636 641 646 650 651 660 661 662 678 682 701 702 703 704
    706 707 708 712 713 714 715 716 717 718 719 720 724 727 731 732 734 740 754 757 760 763 765
    770 772 773 774 775 781 785 786 801 802 803 804 805 806 808 810 812 813 814 815 816 817 818
    828 830 831 832 843 845 847 848 850 856 857 858 859 860 862 863 864 865 870 878 901 903 904
    906 907 908 909 910 912 913 914 915 916 917 918 919 920 925 928 931 936 937 940 941 947 949
    951 952 954 956 970 971 972 973 978 979 980 985 989
"""
)
CA_AREA_CODES: tuple[int, ...] = _numbers(
    """
    204 226 236 249 250 289 306 343 365 403 416 418 431 437 438 450 506 514 519 548 579 581 587
    604 613 639 647 705 709 778 780 782 807 819 825 867 873 902 905
"""
)
# Exchanges 200-999 without the N11 service codes and the 555 directory-assistance block.
EXCHANGES: tuple[int, ...] = tuple(x for x in range(200, 1000) if x % 100 != 11 and x != 555)
# UK mobile numbers +44 71xx-73xx xxxxxx (allocated mobile ranges).
GB_MOBILE_PREFIXES: tuple[int, ...] = tuple(range(7100, 7400))


@dataclass(frozen=True)
class StoreSpec:
    code: str
    name: str
    online: bool


STORES: tuple[StoreSpec, ...] = (
    StoreSpec("S001", "Downtown Flagship", False),
    StoreSpec("S002", "Riverside Mall", False),
    StoreSpec("S003", "Airport Terminal B", False),
    StoreSpec("S004", "Northgate Plaza", False),
    StoreSpec("S005", "Harbor Market", False),
    StoreSpec("S006", "University District", False),
    StoreSpec("S007", "Westfield Outlet", False),
    StoreSpec("S008", "Old Town", False),
    StoreSpec("W001", "Web Store", True),
    StoreSpec("A001", "Mobile App", True),
)

# (name, channel) of the signup forms the generator spreads customers over.
SIGNUP_FORMS: tuple[tuple[str, str], ...] = (
    ("Website signup", "WEB"),
    ("In-store tablet", "IN_STORE"),
    ("Mobile app onboarding", "MOBILE_APP"),
    ("Community event booth", "EVENT"),
)


@dataclass(frozen=True)
class Category:
    code: str  # three letters, the SKU prefix
    name: str
    # Typical unit price in cents (median of a log-normal).
    unit_cents: int


CATEGORIES: tuple[Category, ...] = (
    Category("GRO", "groceries", 650),
    Category("PRD", "produce", 450),
    Category("DAI", "dairy", 550),
    Category("BAK", "bakery", 600),
    Category("HOU", "household", 1200),
    Category("BEA", "beauty", 2400),
    Category("APP", "apparel", 4500),
    Category("ELE", "electronics", 12000),
    Category("HOM", "home", 3500),
    Category("TOY", "toys", 2500),
    Category("WIN", "wine & spirits", 2800),
    Category("JWL", "jewelry", 18000),
    Category("GOU", "gourmet", 3200),
    Category("SPO", "sports", 4000),
)
PRODUCTS_PER_CATEGORY = 400

# Tag sets an item can carry; each group draws from its own weighted subset.
TAG_SETS: tuple[tuple[str, ...], ...] = (
    (),
    ("discount",),
    ("clearance",),
    ("discount", "coupon"),
    ("bogo",),
    ("clearance", "final-sale"),
    ("coupon",),
    ("premium",),
    ("limited-edition",),
    ("premium", "gift"),
    ("luxury", "limited-edition"),
    ("premium", "new-arrival"),
    ("community",),
    ("event",),
    ("community", "local"),
    ("event", "gift"),
    ("local",),
    ("everyday",),
    ("organic",),
    ("everyday", "family-pack"),
    ("organic", "local"),
    ("staples",),
    ("seasonal",),
    ("new-arrival",),
    ("gift",),
)


def _tags(*names: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(TAG_SETS.index(n) for n in names)


@dataclass(frozen=True)
class Group:
    """A planted behavior: how a customer of this kind signs up, buys and redeems."""

    name: str
    share: float
    # Orders relative to the average (scaled so the whole population averages M).
    order_factor: float
    # Median unit price multiplier over the category's typical price, and its spread.
    price_factor: float
    price_sigma: float
    items_min: int
    items_max: int
    # Category preference: (category index, weight) pairs; others get a small floor weight.
    categories: tuple[tuple[int, float], ...]
    tag_sets: tuple[tuple[int, float], ...]
    # Chance of a redemption after an order, given enough points, and the reward step.
    redeem_chance: float
    redeem_step: int
    # Share of the balance a redemption spends, at least (the rest is drawn up to 1).
    redeem_share_min: float
    # Signed up this many days ago (uniform between the bounds).
    signup_days: tuple[int, int]
    # Orders happen no later than this many days ago (lapsed customers stopped long ago).
    last_order_days_min: int
    # Weight when a referred customer's referrer is drawn.
    referral_weight: float
    # Age range in years and share of customers who gave a birthday.
    ages: tuple[int, int]
    birthday_share: float
    online_share: float
    # Signup form weights, in SIGNUP_FORMS order (the rest: no form).
    signup_forms: tuple[float, float, float, float]
    regular: bool = False


GROUPS: tuple[Group, ...] = (
    Group(
        name="deal_seekers",
        share=0.24,
        order_factor=1.7,
        price_factor=0.55,
        price_sigma=0.35,
        items_min=1,
        items_max=2,
        categories=((0, 4.0), (1, 2.0), (4, 3.0), (5, 1.5), (6, 1.0)),
        tag_sets=tuple(
            zip(
                _tags(
                    ("discount",),
                    ("clearance",),
                    ("discount", "coupon"),
                    ("bogo",),
                    ("clearance", "final-sale"),
                    ("coupon",),
                    (),
                ),
                (5.0, 4.0, 3.0, 2.0, 2.0, 2.0, 1.0),
                strict=True,
            )
        ),
        redeem_chance=0.9,
        redeem_step=25,
        redeem_share_min=0.8,
        signup_days=(60, 900),
        last_order_days_min=0,
        referral_weight=0.2,
        ages=(21, 45),
        birthday_share=0.8,
        online_share=0.45,
        signup_forms=(0.5, 0.2, 0.2, 0.0),
    ),
    Group(
        name="big_spenders",
        share=0.12,
        order_factor=0.45,
        price_factor=3.2,
        price_sigma=0.45,
        items_min=1,
        items_max=3,
        categories=((7, 4.0), (11, 4.0), (6, 2.0), (10, 1.5), (12, 1.5), (8, 1.0)),
        tag_sets=tuple(
            zip(
                _tags(
                    ("premium",),
                    ("limited-edition",),
                    ("premium", "gift"),
                    ("luxury", "limited-edition"),
                    ("premium", "new-arrival"),
                    (),
                ),
                (5.0, 4.0, 2.0, 3.0, 2.0, 1.0),
                strict=True,
            )
        ),
        redeem_chance=0.05,
        redeem_step=500,
        redeem_share_min=0.3,
        signup_days=(60, 1000),
        last_order_days_min=0,
        referral_weight=0.2,
        ages=(35, 68),
        birthday_share=0.85,
        online_share=0.2,
        signup_forms=(0.3, 0.5, 0.1, 0.0),
    ),
    Group(
        name="social_connectors",
        share=0.14,
        order_factor=0.9,
        price_factor=1.2,
        price_sigma=0.35,
        items_min=1,
        items_max=3,
        categories=((12, 3.0), (10, 3.0), (9, 2.0), (13, 2.0), (3, 1.5)),
        tag_sets=tuple(
            zip(
                _tags(
                    ("community",),
                    ("event",),
                    ("community", "local"),
                    ("event", "gift"),
                    ("local",),
                    ("gift",),
                    (),
                ),
                (5.0, 4.0, 3.0, 3.0, 2.0, 2.0, 1.0),
                strict=True,
            )
        ),
        redeem_chance=0.3,
        redeem_step=100,
        redeem_share_min=0.5,
        signup_days=(500, 1050),
        last_order_days_min=0,
        referral_weight=30.0,
        ages=(19, 34),
        birthday_share=0.9,
        online_share=0.3,
        signup_forms=(0.2, 0.1, 0.2, 0.45),
    ),
    Group(
        name="loyal_regulars",
        share=0.30,
        order_factor=1.35,
        price_factor=0.9,
        price_sigma=0.2,
        items_min=2,
        items_max=4,
        categories=((0, 5.0), (1, 4.0), (2, 4.0), (3, 3.0), (4, 2.0)),
        tag_sets=tuple(
            zip(
                _tags(
                    ("everyday",),
                    ("organic",),
                    ("everyday", "family-pack"),
                    ("organic", "local"),
                    ("staples",),
                    (),
                ),
                (5.0, 3.0, 3.0, 2.0, 3.0, 2.0),
                strict=True,
            )
        ),
        redeem_chance=0.35,
        redeem_step=100,
        redeem_share_min=0.5,
        signup_days=(420, 1050),
        last_order_days_min=0,
        referral_weight=0.3,
        ages=(30, 72),
        birthday_share=0.88,
        online_share=0.1,
        signup_forms=(0.3, 0.5, 0.1, 0.0),
        regular=True,
    ),
    Group(
        name="lapsed",
        share=0.20,
        order_factor=0.55,
        price_factor=1.0,
        price_sigma=0.4,
        items_min=1,
        items_max=3,
        categories=((6, 2.0), (8, 2.0), (0, 2.0), (5, 1.5), (13, 1.5), (9, 1.0)),
        tag_sets=tuple(
            zip(
                _tags(("seasonal",), ("new-arrival",), (), ("gift",), ("discount",)),
                (3.0, 2.0, 4.0, 1.0, 1.0),
                strict=True,
            )
        ),
        redeem_chance=0.1,
        redeem_step=100,
        redeem_share_min=0.5,
        signup_days=(520, 1050),
        last_order_days_min=420,
        referral_weight=0.2,
        ages=(24, 62),
        birthday_share=0.8,
        online_share=0.25,
        signup_forms=(0.4, 0.3, 0.1, 0.0),
    ),
)


# A shopper of a lapsed retail base: no birthday given, no signup form, never redeems.
_RETAIL_SHOPPER = Group(
    name="",
    share=0.0,
    order_factor=1.0,
    price_factor=1.0,
    price_sigma=0.45,
    items_min=1,
    items_max=3,
    categories=((6, 2.0), (8, 2.0), (0, 2.0), (5, 1.5), (13, 1.5), (9, 1.0)),
    tag_sets=tuple(zip(_tags((), ("seasonal",), ("new-arrival",)), (4.0, 1.0, 1.0), strict=True)),
    redeem_chance=0.0,
    redeem_step=100,
    redeem_share_min=0.5,
    signup_days=(60, 1050),
    last_order_days_min=0,
    referral_weight=1.0,
    ages=(20, 70),
    birthday_share=0.0,
    online_share=0.3,
    signup_forms=(0.0, 0.0, 0.0, 0.0),
)


# A real retail transaction log as a merchant imports it: over half the customers bought once,
# a long tail of heavy buyers, two thirds lapsed (no order for over a year), no birthdays,
# addresses or referrals, and orders without points.
RETAIL_GROUPS: tuple[Group, ...] = (
    replace(
        _RETAIL_SHOPPER,
        name="lapsed_one_time",
        share=0.45,
        order_factor=0.1,
        price_factor=0.8,
        signup_days=(420, 1050),
        last_order_days_min=370,
    ),
    replace(
        _RETAIL_SHOPPER,
        name="recent_one_time",
        share=0.10,
        order_factor=0.1,
        price_factor=0.8,
        signup_days=(20, 300),
    ),
    replace(
        _RETAIL_SHOPPER, name="occasional", share=0.15, order_factor=0.8, signup_days=(120, 700)
    ),
    replace(
        _RETAIL_SHOPPER,
        name="lapsed_regulars",
        share=0.20,
        order_factor=1.4,
        signup_days=(600, 1050),
        last_order_days_min=380,
    ),
    replace(
        _RETAIL_SHOPPER,
        name="heavy_buyers",
        share=0.10,
        order_factor=6.0,
        price_factor=1.3,
        items_min=2,
        items_max=5,
        signup_days=(400, 1050),
        regular=True,
    ),
)


@dataclass(frozen=True)
class Profile:
    """What kind of base `loyalty seed --profile` writes."""

    groups: tuple[Group, ...]
    # Customers gave a city and country (False: an import without addresses).
    places: bool = True
    # Share of customers drawn as referred by an earlier one.
    referred_share: float = 0.4
    # Orders earn points (False: history imported without points).
    points: bool = True


PROFILES: dict[str, Profile] = {
    # Five planted kinds of shopper, for the persona quality tests.
    "planted": Profile(GROUPS),
    "lapsed-retail": Profile(RETAIL_GROUPS, places=False, referred_share=0.0, points=False),
}
DEFAULT_PROFILE = "planted"

GROUP_NAMES: tuple[str, ...] = tuple(g.name for g in GROUPS)
