"""Personal data made unreadable where it is only evidence: audit details and log lines.

Masking keeps enough to tell entries apart and to recognise one's own input ("j***@e***.com",
"***45"), never enough to contact anyone.
"""

from __future__ import annotations

import logging
import re

# An e-mail address, loosely: anything@anything.tld, as people type them into a search box.
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A phone number: international (+ and at least 8 digits, as Frontline stores them) or national
# (a leading 0 and 9 to 13 digits, spaces, dots or dashes between). Dates, times, counts and the
# ids in URL paths do not look like either, so log lines keep them.
_PHONE = re.compile(r"(?<![\w/+])(?:\+\d(?:[\s().-]?\d){7,14}|0\d(?:[\s.-]?\d){7,12})(?![\w/])")
MASK = "***"


def mask_email(match: re.Match[str]) -> str:
    local, _, domain = match.group(0).partition("@")
    host, _, tld = domain.rpartition(".")
    return f"{local[:1]}{MASK}@{host[:1]}{MASK}.{tld}"


def mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return f"{MASK}{digits[-2:]}"


def mask_contact_points(text: str) -> str:
    """E-mail addresses and phone numbers in free text masked; everything else as it was."""
    return _PHONE.sub(mask_phone, _EMAIL.sub(mask_email, text))


def mask_search_query(query: str) -> str:
    """A search as the audit keeps it: contact points masked, and each name cut to its initial.

    Enough to see what kind of search it was (a name, an e-mail, a phone) and to tell searches
    apart; nothing a reader of the trail could look someone up with.
    """
    return " ".join(_mask_search_word(word) for word in mask_contact_points(query).split())


def _mask_search_word(word: str) -> str:
    if MASK in word:  # an e-mail address or phone number, masked already
        return word
    digits = re.sub(r"\D", "", word)
    if len(digits) >= 4:  # a phone fragment, a customer number, an external id
        return f"{MASK}{digits[-2:]}"
    return word[:1] + MASK


class PersonalDataLogFilter(logging.Filter):
    """Masks e-mail addresses and phone numbers in every log line (ASVS V16: no personal data
    in logs). Installed on the console handler, so it covers Django's and libraries' lines too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_contact_points(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
