"""Bank and tax identifiers with valid check digits, computed here (no python-stdnum).

* IBAN: ISO 13616 check digits, ISO 7064 MOD 97-10, over a BBAN of the country's length;
  the national check inside the BBAN is computed where it is simple (FR RIB key, ES control
  digits, PT NIB check); for IT, NL, GB and CH the BBAN's own check is not modelled.
* VAT IDs: DE (ISO 7064 MOD 11,10), FR (key over the SIREN, itself Luhn-valid), IT (Luhn),
  ES (CIF control digit), NL (old mod-11 "elfproef" + B01), PT (mod 11), GB (mod 97),
  CH (UID mod 11, written CHE-123.456.789 MWST).
"""

from __future__ import annotations

import random
import string

IBAN_LENGTH = {"DE": 22, "FR": 27, "ES": 24, "IT": 27, "NL": 18, "PT": 25, "GB": 22, "CH": 21}


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def _letters(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(count))


def _as_number(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text))


def iban_check_digits(country: str, bban: str) -> str:
    return f"{98 - _as_number(bban + country + '00') % 97:02d}"


def iban_valid(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    if len(compact) != IBAN_LENGTH.get(compact[:2], -1) or not compact.isalnum():
        return False
    return _as_number(compact[4:] + compact[:4]) % 97 == 1


def _es_control(digits: str) -> str:
    weights = (1, 2, 4, 8, 5, 10, 9, 7, 3, 6)
    value = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return str({10: 1, 11: 0}.get(value, value))


def _bban(country: str, rng: random.Random) -> str:
    if country == "DE":
        return _digits(rng, 18)
    if country == "FR":
        bank, branch, account = _digits(rng, 5), _digits(rng, 5), _digits(rng, 11)
        key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
        return f"{bank}{branch}{account}{key:02d}"
    if country == "ES":
        bank_branch, account = _digits(rng, 8), _digits(rng, 10)
        return bank_branch + _es_control("00" + bank_branch) + _es_control(account) + account
    if country == "IT":
        return _letters(rng, 1) + _digits(rng, 10) + _digits(rng, 12)
    if country == "NL":
        return _letters(rng, 4) + _digits(rng, 10)
    if country == "PT":
        body = _digits(rng, 19)
        return body + f"{98 - int(body) * 100 % 97:02d}"
    if country == "GB":
        return _letters(rng, 4) + _digits(rng, 14)
    if country == "CH":
        return _digits(rng, 17)
    raise ValueError(f"no IBAN for {country}")


def make_iban(country: str, rng: random.Random) -> str:
    """A valid IBAN, compact (no spaces)."""
    bban = _bban(country, rng)
    return country + iban_check_digits(country, bban) + bban


def group_iban(iban: str) -> str:
    """Printed form: groups of four."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


# --- VAT IDs ----------------------------------------------------------------------------


def _mod11_10(digits: str) -> str:
    product = 10
    for char in digits:
        total = (int(char) + product) % 10 or 10
        product = 2 * total % 11
    return str((11 - product) % 10)


def _luhn_check(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def luhn_valid(digits: str) -> bool:
    return _luhn_check(digits[:-1]) == digits[-1]


def _cif_control(seven: str) -> str:
    even = sum(int(d) for d in seven[1::2])
    odd = sum(sum(int(x) for x in str(2 * int(d))) for d in seven[0::2])
    return str((10 - (even + odd) % 10) % 10)


def _nl_check(eight: str) -> int:
    return sum(int(d) * w for d, w in zip(eight, range(9, 1, -1), strict=True)) % 11


def _pt_check(eight: str) -> str:
    value = 11 - sum(int(d) * w for d, w in zip(eight, range(9, 1, -1), strict=True)) % 11
    return "0" if value >= 10 else str(value)


def _gb_sum(seven: str) -> int:
    return sum(int(d) * w for d, w in zip(seven, range(8, 1, -1), strict=True))


def _ch_check(eight: str) -> int:
    weights = (5, 4, 3, 2, 7, 6, 5, 4)
    return (11 - sum(int(d) * w for d, w in zip(eight, weights, strict=True)) % 11) % 11


def make_vat_id(country: str, rng: random.Random) -> str:
    """A VAT ID with valid check digits, compact (``DE123456789``; CH as printed)."""
    if country == "DE":
        body = str(rng.randint(1, 9)) + _digits(rng, 7)
        return "DE" + body + _mod11_10(body)
    if country == "FR":
        body = str(rng.randint(1, 9)) + _digits(rng, 7)
        siren = body + _luhn_check(body)
        return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    if country == "IT":
        body = _digits(rng, 7) + f"{rng.randint(1, 100):03d}"
        return "IT" + body + _luhn_check(body)
    if country == "ES":
        seven = _digits(rng, 7)
        return "ESB" + seven + _cif_control(seven)
    if country == "NL":
        while (check := _nl_check(eight := str(rng.randint(1, 9)) + _digits(rng, 7))) == 10:
            pass
        return f"NL{eight}{check}B01"
    if country == "PT":
        eight = rng.choice("5") + _digits(rng, 7)
        return "PT" + eight + _pt_check(eight)
    if country == "GB":
        seven = str(rng.randint(1, 9)) + _digits(rng, 6)
        return f"GB{seven}{-_gb_sum(seven) % 97:02d}"
    if country == "CH":
        while (check := _ch_check(eight := str(rng.randint(1, 9)) + _digits(rng, 7))) == 10:
            pass
        uid = eight + str(check)
        return f"CHE-{uid[:3]}.{uid[3:6]}.{uid[6:]} MWST"
    raise ValueError(f"no VAT ID for {country}")


def vat_id_valid(vat_id: str) -> bool:
    """Check digits of the VAT IDs :func:`make_vat_id` writes."""
    compact = vat_id.replace(" ", "").replace(".", "").replace("-", "").upper()
    country, body = compact[:2], compact[2:]
    if country == "DE":
        return len(body) == 9 and body.isdigit() and _mod11_10(body[:8]) == body[8]
    if country == "FR":
        siren = body[2:]
        return (
            len(siren) == 9
            and luhn_valid(siren)
            and int(body[:2]) == (12 + 3 * (int(siren) % 97)) % 97
        )
    if country == "IT":
        return len(body) == 11 and body.isdigit() and luhn_valid(body)
    if country == "ES":
        return len(body) == 9 and body[0] == "B" and _cif_control(body[1:8]) == body[8]
    if country == "NL":
        return len(body) == 12 and body.endswith("B01") and _nl_check(body[:8]) == int(body[8])
    if country == "PT":
        return len(body) == 9 and _pt_check(body[:8]) == body[8]
    if country == "GB":
        return len(body) == 9 and (_gb_sum(body[:7]) + int(body[7:])) % 97 == 0
    if country == "CH":
        uid = body[1:].removesuffix("MWST")
        return body[0] == "E" and len(uid) == 9 and _ch_check(uid[:8]) == int(uid[8])
    return False
