"""Country codes Stripe Checkout accepts for shipping_address_collection, and
their names in the shopper's language.

The codes are generated from the installed Stripe SDK's SessionCreateParams
(stripe 16.x).
"""

from functools import cache

from babel import Locale, UnknownLocaleError
from django.utils import translation

SHIPPING_COUNTRIES = frozenset(
    """
    AC AD AE AF AG AI AL AM AO AQ AR AT AU AW AX AZ BA BB BD BE
    BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CD CF
    CG CH CI CK CL CM CN CO CR CV CW CY CZ DE DJ DK DM DO DZ EC
    EE EG EH ER ES ET FI FJ FK FO FR GA GB GD GE GF GG GH GI GL
    GM GN GP GQ GR GS GT GU GW GY HK HN HR HT HU ID IE IL IM IN
    IO IQ IS IT JE JM JO JP KE KG KH KI KM KN KR KW KY KZ LA LB
    LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MK ML MM MN MO
    MQ MR MS MT MU MV MW MX MY MZ NA NC NE NG NI NL NO NP NR NU
    NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PY QA RE RO RS RU
    RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX
    SZ TA TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG
    US UY UZ VA VC VE VG VN VU WF WS XK YE YT ZA ZM ZW ZZ
    """.split()
)


def country_name(code: str) -> str:
    """The country's name in the active language (Unicode CLDR data through Babel)."""
    locale = _locale(translation.get_language() or "en")
    return str(locale.territories.get(code.upper(), code.upper()))


@cache
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(translation.to_locale(language))
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")
