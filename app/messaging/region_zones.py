"""Time zones of US states and territories and of Canadian provinces and territories.

Where a state or province spans several zones, all of them are listed (the principal one
first): without the city we cannot tell which applies, and quiet hours then wait until the
window is open in every one. Only zones a part of the region officially keeps are listed.
Keys are ISO 3166-2 subdivision codes; full names are matched too.
"""

from __future__ import annotations

_NY, _CHI = "America/New_York", "America/Chicago"
_DEN, _LA = "America/Denver", "America/Los_Angeles"

US_REGIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "AL": ("Alabama", (_CHI,)),
    "AK": ("Alaska", ("America/Anchorage", "America/Adak")),
    # The Navajo Nation keeps daylight time; the rest of Arizona does not.
    "AZ": ("Arizona", ("America/Phoenix", _DEN)),
    "AR": ("Arkansas", (_CHI,)),
    "CA": ("California", (_LA,)),
    "CO": ("Colorado", (_DEN,)),
    "CT": ("Connecticut", (_NY,)),
    "DE": ("Delaware", (_NY,)),
    "DC": ("District of Columbia", (_NY,)),
    "FL": ("Florida", (_NY, _CHI)),
    "GA": ("Georgia", (_NY,)),
    "HI": ("Hawaii", ("Pacific/Honolulu",)),
    "ID": ("Idaho", ("America/Boise", _LA)),
    "IL": ("Illinois", (_CHI,)),
    "IN": ("Indiana", ("America/Indiana/Indianapolis", _CHI)),
    "IA": ("Iowa", (_CHI,)),
    "KS": ("Kansas", (_CHI, _DEN)),
    "KY": ("Kentucky", (_NY, _CHI)),
    "LA": ("Louisiana", (_CHI,)),
    "ME": ("Maine", (_NY,)),
    "MD": ("Maryland", (_NY,)),
    "MA": ("Massachusetts", (_NY,)),
    "MI": ("Michigan", ("America/Detroit", "America/Menominee")),
    "MN": ("Minnesota", (_CHI,)),
    "MS": ("Mississippi", (_CHI,)),
    "MO": ("Missouri", (_CHI,)),
    "MT": ("Montana", (_DEN,)),
    "NE": ("Nebraska", (_CHI, _DEN)),
    "NV": ("Nevada", (_LA, _DEN)),
    "NH": ("New Hampshire", (_NY,)),
    "NJ": ("New Jersey", (_NY,)),
    "NM": ("New Mexico", (_DEN,)),
    "NY": ("New York", (_NY,)),
    "NC": ("North Carolina", (_NY,)),
    "ND": ("North Dakota", (_CHI, _DEN)),
    "OH": ("Ohio", (_NY,)),
    "OK": ("Oklahoma", (_CHI,)),
    "OR": ("Oregon", (_LA, "America/Boise")),
    "PA": ("Pennsylvania", (_NY,)),
    "RI": ("Rhode Island", (_NY,)),
    "SC": ("South Carolina", (_NY,)),
    "SD": ("South Dakota", (_CHI, _DEN)),
    "TN": ("Tennessee", (_CHI, _NY)),
    "TX": ("Texas", (_CHI, _DEN)),
    "UT": ("Utah", (_DEN,)),
    "VT": ("Vermont", (_NY,)),
    "VA": ("Virginia", (_NY,)),
    "WA": ("Washington", (_LA,)),
    "WV": ("West Virginia", (_NY,)),
    "WI": ("Wisconsin", (_CHI,)),
    "WY": ("Wyoming", (_DEN,)),
    "AS": ("American Samoa", ("Pacific/Pago_Pago",)),
    "GU": ("Guam", ("Pacific/Guam",)),
    "MP": ("Northern Mariana Islands", ("Pacific/Saipan",)),
    "PR": ("Puerto Rico", ("America/Puerto_Rico",)),
    "VI": ("U.S. Virgin Islands", ("America/St_Thomas",)),
}

CA_REGIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "AB": ("Alberta", ("America/Edmonton",)),
    # The Peace River country keeps Mountain time, partly without daylight time.
    "BC": ("British Columbia", ("America/Vancouver", "America/Edmonton", "America/Dawson_Creek")),
    "MB": ("Manitoba", ("America/Winnipeg",)),
    "NB": ("New Brunswick", ("America/Moncton",)),
    "NL": ("Newfoundland and Labrador", ("America/St_Johns", "America/Goose_Bay")),
    "NS": ("Nova Scotia", ("America/Halifax",)),
    "NT": ("Northwest Territories", ("America/Edmonton", "America/Inuvik")),
    "NU": ("Nunavut", ("America/Iqaluit", "America/Rankin_Inlet", "America/Cambridge_Bay")),
    "ON": ("Ontario", ("America/Toronto", "America/Winnipeg")),
    "PE": ("Prince Edward Island", ("America/Halifax",)),
    # The Magdalen Islands and the Lower North Shore keep Atlantic time.
    "QC": ("Quebec", ("America/Toronto", "America/Halifax", "America/Blanc-Sablon")),
    # Lloydminster keeps Alberta's time; the rest of the province has no daylight time.
    "SK": ("Saskatchewan", ("America/Regina", "America/Edmonton")),
    "YT": ("Yukon", ("America/Whitehorse",)),
}

REGIONS_BY_COUNTRY = {"US": US_REGIONS, "CA": CA_REGIONS}
