"""Names and addresses as printed, without the recogniser's usual slips.

A text field's value is the text of its lines; before it is stored, :func:`tidy_text` takes
off stray punctuation at its ends, reads a digit inside a word as the letter it stands for
(``FO0DICIOUS``, ``1DEA``, ``J1n``, every zero of ``J0H0R`` and ``B00K``) and a letter O
inside a number as a zero (``29O``), and drops the marks of letters the document's
languages do not write (``Restäurants`` on an English receipt). The field's raw text keeps
what was read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache

from ocrflow.ocr_tasks.fields.layout import Line
from ocrflow.ocr_tasks.fields.locales import (
    document_language,
    get_locale,
    implied_locale,
    language_letters,
)

_WORD = re.compile(r"[^\W_]+")
_LEADING = " .,:;-_|*~•·=#>"
_TRAILING = " ,:;-_|*~•·=#<"
# What a digit inside a word stands for, in upper and in lower case.
_LETTER_OF = {"0": ("O", "o"), "1": ("I", "l"), "5": ("S", "s")}


def tidy_text(text: str, letters: frozenset[str]) -> str:
    """``text`` without stray end punctuation, digits misread for letters inside words, and
    marks on letters outside ``letters`` (the marked letters the document's languages write)."""
    text = text.lstrip(_LEADING).rstrip(_TRAILING)
    text = _WORD.sub(lambda match: _repaired(match.group()), text)
    return "".join(_unmarked(char, letters) for char in text)


_NUMBER_WITH_OS = re.compile(r"(?=(?:[Oo]*\d){2})[\dOo]*[Oo][\dOo]*")
_ONES = re.compile(r"(?<=\d)[lI](?=\d)|^[lI](?=\d\d)")


def _repaired(word: str) -> str:
    """A word of letters with one ``0``, ``1`` or ``5`` in it (between two letters, or first
    before three or more) as the letter it stands for; a code like ``SW1A`` keeps its digit
    (short, all capitals). A number of two digits or more with an ``O`` in it (``29O``,
    ``456OO``) reads the ``O`` as a zero, and an ``l`` or ``I`` between its digits or first
    before two of them as a one (``7/1l8B``, ``l18B``)."""
    if _NUMBER_WITH_OS.fullmatch(word):
        return word.replace("O", "0").replace("o", "0")
    if sum(char.isdigit() for char in word) >= 2:
        word = _ONES.sub("1", word)
    digits = [i for i, char in enumerate(word) if char.isdigit()]
    letters = sum(char.isalpha() for char in word)
    if _zeros_for_os(word, digits, letters):
        return "".join(
            _LETTER_OF["0"][word[i - 1].islower()] if c == "0" else c for i, c in enumerate(word)
        )
    if len(digits) != 1 or word[digits[0]] not in _LETTER_OF:
        return word
    at = digits[0]
    before, after = word[at - 1 : at], word[at + 1 : at + 2]
    inside = before.isalpha() and after.isalpha()
    if not (inside and (letters >= 4 or not (before + after).isupper())) and not (
        at == 0 and letters >= 3
    ):
        return word
    upper, lower = _LETTER_OF[word[at]]
    letter = lower if before.islower() or after.islower() else upper
    return word[:at] + letter + word[at + 1 :]


def _zeros_for_os(word: str, digits: Sequence[int], letters: int) -> bool:
    """Whether every digit of the word is a ``0`` in a run after a letter and before a letter
    or the word's end (``J0H0R``, ``B00K``, ``AUT0``): in a monospace print the O and the zero
    look alike. A code's zero follows a digit or starts its word (``0AA``, ``JM0195368``); a
    word of two letters takes no zero at its end (``A00``)."""
    if not digits or any(word[i] != "0" for i in digits):
        return False
    for run in _ZEROS.finditer(word):
        before, after = word[run.start() - 1 : run.start()], word[run.end() : run.end() + 1]
        if not before.isalpha() or not (after.isalpha() or (not after and letters >= 3)):
            return False
    return letters >= 2


_ZEROS = re.compile(r"0+")


def _unmarked(char: str, letters: frozenset[str]) -> str:
    if char.isascii() or char.lower() in letters:
        return char
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return base if base.isascii() and base.isalpha() else char


def document_letters(lines: Sequence[Line], locale: str) -> frozenset[str]:
    """The marked letters the document writes: its locale's languages' (for the ``auto``
    locale, those of the locale its words point to: English's when they are English, every
    language's when they point nowhere), and any the recogniser read surely on it (a French
    shop's ``Café`` on an English receipt). A stray accent on an English page is an unsure
    one (SROIE's ``Restäurants``: under 0.88; marks a language writes read over 0.99)."""
    chosen = get_locale(locale)
    languages: Iterable[str] = chosen.languages
    if chosen.permissive:
        languages = _implied_languages(tuple(line.text for line in lines)) or chosen.languages
    return _letters(tuple(languages)) | _surely_read_marks(lines)


SURE_MARK = 0.95  # a marked letter read at least this surely is printed so


def _surely_read_marks(lines: Sequence[Line]) -> frozenset[str]:
    found: set[str] = set()
    for line in lines:
        text, chars = line.text, line.line.char_confidences
        if len(chars) != len(text) or text.isascii():
            continue
        found.update(
            char.lower()
            for char, sure in zip(text, chars, strict=True)
            if not char.isascii() and sure >= SURE_MARK and _unmarked(char, frozenset()) != char
        )
    return frozenset(found)


@lru_cache(maxsize=32)  # one document's fields ask in turn; a long run must not keep them all
def _implied_languages(texts: tuple[str, ...]) -> tuple[str, ...]:
    implied = implied_locale(texts)
    if implied is not None:
        return implied.languages
    return ("en",) if document_language(texts) == "en" else ()


@cache
def _letters(languages: tuple[str, ...]) -> frozenset[str]:
    """The marked letters of ``languages``; every language's when one of them writes any: a
    German till roll prints a French shop's name (``Épicerie Green``), while a recogniser's
    stray accent on an English or Malay page has no language behind it."""
    own = "".join(language_letters(language) for language in languages)
    return frozenset(language_letters("*") if own else "")
