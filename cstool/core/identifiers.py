"""Numbers people give that carry their own rules (pure functions): phone numbers as they
are written in China, the resident identity card number (居民身份证号码, GB 11643) and the
unified social credit code (统一社会信用代码, GB 32100). Each check returns the number
as kept, or raises ValueError saying what is wrong with it."""

from __future__ import annotations

import re

from cstool.core.i18n import _

_NOISE = re.compile(r"[\s\-().（）]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")  # area code and number
_SERVICE = re.compile(r"(?:[48]00\d{7}|1\d{4}|9\d{4})")  # 400/800 lines; 12315, 95588
_INTERNATIONAL = re.compile(r"\+[1-9]\d{6,14}")  # E.164


def phone_number(text: str) -> str:
    """A mobile (11 digits from 13 to 19), a landline with its area code, a 400/800 line, a
    five-digit service number, or an international number written with ``+``; China's
    country code (+86, 0086) is kept as written."""
    raw = _NOISE.sub("", str(text))
    domestic = raw
    for prefix in ("+86", "0086"):
        if raw.startswith(prefix):
            domestic = raw[len(prefix) :]
            break
    else:
        if raw.startswith("+"):
            if _INTERNATIONAL.fullmatch(raw):
                return raw
            raise ValueError(_("{raw!r} is not a phone number").format(raw=text))
    if _MOBILE.fullmatch(domestic) or _LANDLINE.fullmatch(domestic) or _SERVICE.fullmatch(domestic):
        return raw
    if domestic.isdigit() and domestic.startswith("1") and len(domestic) == 11:
        raise ValueError(_("{raw!r} is not a mobile number (11 digits starting 13 to 19)").format(raw=text))
    if domestic.isdigit() and len(domestic) in (7, 8):
        raise ValueError(_("{raw!r}: give a landline with its area code, e.g. 021-12345678").format(raw=text))
    raise ValueError(_("{raw!r} is not a phone number").format(raw=text))


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id_ok(text: str) -> bool:
    """An 18-character resident identity number whose last character is its check digit."""
    number = text.upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17]


def credit_code_ok(text: str) -> bool:
    """An 18-character unified social credit code whose last character is its check character."""
    code = text.upper()
    if len(code) != 18 or any(char not in _CODE_CHARS for char in code):
        return False
    total = sum(_CODE_CHARS.index(char) * weight for char, weight in zip(code[:17], _CODE_WEIGHTS))
    return _CODE_CHARS[(31 - total % 31) % 31] == code[17]


def identity_number(text: str) -> str:
    """A resident identity number or a unified social credit code, checked by its check
    character; kept in capitals."""
    number = _NOISE.sub("", str(text)).upper()
    if resident_id_ok(number) or credit_code_ok(number):
        return number
    if len(number) == 18:
        raise ValueError(_("{raw!r}: its check character does not match; is a digit mistyped?").format(raw=text))
    raise ValueError(
        _("{raw!r} is neither an 18-character identity number nor a unified social credit code").format(raw=text)
    )
