"""Currencies as Stripe counts them, for the stand-in's own amount checks.

Taken from Stripe's "Supported currencies" page (docs.stripe.com/currencies),
and deliberately independent of the package's ``pricing`` module: the stand-in
checks amounts the way Stripe would, not the way the code under test does.

* Amounts are integers in the currency's smallest unit, at most eight digits.
* Zero-decimal currencies are sent as they are (¥500 is 500).
* Three-decimal currencies are sent in thousandths, and their last digit must be 0.
* ISK is sent in two-decimal form but must be whole krónur (a multiple of 100).
* Some currencies have a minimum charge; the others only need a positive amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MAX_AMOUNT = 99_999_999  # "The amount value supports up to eight digits"

ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())

# The presentment currencies Stripe accepts for card payments through Checkout.
SUPPORTED = frozenset(
    """
    usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd
    bob brl bsd bwp byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd
    egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr
    isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl
    mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab
    pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos
    srd szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd
    xof xpf yer zar zmw
    """.split()
)

# "Minimum and maximum charge amounts", in the currency's major unit.
MINIMUM_CHARGE = {
    "usd": "0.50",
    "aed": "2.00",
    "aud": "0.50",
    "bgn": "1.00",
    "brl": "0.50",
    "cad": "0.50",
    "chf": "0.50",
    "czk": "15.00",
    "dkk": "2.50",
    "eur": "0.50",
    "gbp": "0.30",
    "hkd": "4.00",
    "huf": "175.00",
    "inr": "0.50",
    "jpy": "50",
    "mxn": "10",
    "myr": "2",
    "nok": "3.00",
    "nzd": "0.50",
    "pln": "2.00",
    "ron": "2.00",
    "sek": "3.00",
    "sgd": "0.50",
    "thb": "10",
}


@dataclass(frozen=True)
class Currency:
    code: str  # lower case, as the API spells it
    exponent: int  # decimals in one smallest unit
    step: int  # amounts must be multiples of this
    minimum: int  # the smallest chargeable total, in smallest units

    @property
    def display_decimals(self) -> int:
        return 0 if self.code == "isk" else self.exponent


def lookup(code: str) -> Currency | None:
    """The rules for ``code`` (any case), or ``None`` if Stripe does not accept it."""
    code = code.lower()
    if code not in SUPPORTED:
        return None
    exponent = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    step = 100 if code == "isk" else 10 if exponent == 3 else 1
    minimum_major = MINIMUM_CHARGE.get(code)
    minimum = step if minimum_major is None else int(Decimal(minimum_major).scaleb(exponent))
    return Currency(code=code, exponent=exponent, step=step, minimum=minimum)


def format_plain(minor: int, currency: Currency) -> str:
    """``1230`` KWD → ``"1.230"``: no symbol, no grouping."""
    value = Decimal(minor).scaleb(-currency.exponent)
    return f"{value:.{currency.display_decimals}f}"


def display(minor: int, code: str) -> str:
    """``"35.84 USD"``, as the pay page shows an amount."""
    currency = lookup(code)
    if currency is None:
        return f"{minor} {code}"
    return f"{format_plain(minor, currency)} {code.upper()}"
