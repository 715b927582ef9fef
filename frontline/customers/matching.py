"""Identity resolution: which other customer records are probably the same person.

Evidence, each with a weight (a score is their sum, capped at 1):

- the same normalised e-mail (on the customer or any of its source identities): strong;
- the same E.164 phone: strong, a little less (families share a landline);
- a similar name (rapidfuzz token-set ratio, accents and case folded), counted only together
  with a shared contact point or the same postcode — a common name alone proves nothing.

A shared contact point with a clearly different name (a couple sharing an e-mail) stays a
candidate, but with a low score and a reason that says so, for the manager to judge.
Only indexed lookups are made, each bounded, so checking one customer costs the same at a
million customers as at a thousand.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.db.models import Q, Value
from django.db.models.functions import Replace, Upper
from rapidfuzz import fuzz, utils

from frontline.customers.models import Customer, CustomerIdentity

EMAIL_WEIGHT = 0.55
PHONE_WEIGHT = 0.45
POSTCODE_WEIGHT = 0.15
NAME_WEIGHT = 0.4
SIMILAR_NAME = 0.85  # token-set ratio from which two names count as "similar"
DIFFERENT_NAME = 0.5  # below this, a shared contact point is likely a shared household
MIN_SCORE = 0.5  # candidates below this are not worth a manager's time
MAX_NEIGHBOURS = 200  # per kind of evidence: a shared postcode can have thousands of customers


@dataclass(frozen=True)
class Match:
    other_id: int
    score: float
    reasons: list[str] = field(default_factory=list)


def folded_name(first_name: str, last_name: str) -> str:
    """Lower-case name without accents, for comparing "José Núñez" with "jose nunez"."""
    text = unicodedata.normalize("NFKD", f"{first_name} {last_name}".casefold())
    return "".join(char for char in text if not unicodedata.combining(char)).strip()


def postcode_key(postcode: str) -> str:
    return postcode.replace(" ", "").upper()


def name_similarity(a: Customer, b: Customer) -> float:
    return (
        fuzz.token_set_ratio(
            folded_name(a.first_name, a.last_name),
            folded_name(b.first_name, b.last_name),
            # Punctuation becomes a word break: "Lovelace-King" holds the word "lovelace".
            processor=utils.default_process,
        )
        / 100
    )


def find_matches(customer: Customer) -> list[Match]:
    """The probable duplicates of ``customer`` among the live (unmerged) records, best first."""
    emails, phones = _contact_points([customer])[customer.pk]
    neighbours = _neighbours(customer, emails, phones)
    their_contacts = _contact_points(neighbours)
    matches = [
        match
        for other in neighbours
        if (match := _assess(customer, other, (emails, phones), their_contacts[other.pk]))
        is not None
    ]
    return sorted(matches, key=lambda match: (-match.score, match.other_id))


Contacts = tuple[set[str], set[str]]


def _contact_points(customers: list[Customer]) -> dict[int, Contacts]:
    """Each customer's e-mails and phones, its own and its source identities', in one query."""
    contacts: dict[int, Contacts] = {c.pk: ({c.email} - {""}, {c.phone} - {""}) for c in customers}
    identities = CustomerIdentity.objects.filter(customer__in=[c.pk for c in customers])
    for customer_id, email, phone in identities.values_list("customer_id", "email", "phone"):
        if email:
            contacts[customer_id][0].add(email.lower())
        if phone:
            contacts[customer_id][1].add(phone)
    return contacts


def _neighbours(customer: Customer, emails: set[str], phones: set[str]) -> list[Customer]:
    live = Customer.objects.filter(merged_into__isnull=True, deleted_at__isnull=True).exclude(
        pk=customer.pk
    )
    via_identities = set(
        CustomerIdentity.objects.filter(Q(email__in=emails) | Q(phone__in=phones))
        .exclude(customer=customer)
        .values_list("customer_id", flat=True)[:MAX_NEIGHBOURS]
    )
    contact = Q(email__in=emails) | Q(phone__in=phones) | Q(pk__in=via_identities)
    found = {c.pk: c for c in live.filter(contact)[:MAX_NEIGHBOURS]} if (emails or phones) else {}
    key = postcode_key(customer.postcode)
    if key:
        same_postcode = live.alias(key=Upper(Replace("postcode", Value(" "), Value("")))).filter(
            key=key
        )
        for other in same_postcode[:MAX_NEIGHBOURS]:
            found.setdefault(other.pk, other)
    return list(found.values())


def _assess(
    customer: Customer, other: Customer, contacts: Contacts, other_contacts: Contacts
) -> Match | None:
    emails, phones = contacts
    other_emails, other_phones = other_contacts
    score = 0.0
    reasons = []
    if emails & other_emails:
        score += EMAIL_WEIGHT
        reasons.append("same e-mail")
    if phones & other_phones:
        score += PHONE_WEIGHT
        reasons.append("same phone")
    shares_contact = bool(reasons)
    same_postcode = bool(customer.postcode) and postcode_key(customer.postcode) == postcode_key(
        other.postcode
    )
    similarity = name_similarity(customer, other)
    if similarity >= SIMILAR_NAME and (shares_contact or same_postcode):
        score += NAME_WEIGHT * similarity
        reasons.append(f"similar name ({similarity:.0%})")
        if same_postcode:
            score += POSTCODE_WEIGHT
            reasons.append("same postcode")
    elif shares_contact and similarity < DIFFERENT_NAME:
        # Same contact point, different person's name: a household more often than a duplicate.
        score = min(score, MIN_SCORE)
        reasons.append(f"different name ({similarity:.0%}): perhaps a shared household contact")
    if not reasons or (not shares_contact and not same_postcode):
        return None
    score = round(min(score, 1.0), 3)
    if score < MIN_SCORE:
        return None
    return Match(other_id=other.pk, score=score, reasons=reasons)
