"""CRM over REST, shaped like Salesforce: OAuth client credentials, SOQL, ``SystemModstamp``.

Contacts (and person Accounts, in orgs that have them) become customers, completed Tasks become
interactions. Which fields are read is decided per run from ``describe``: an org answers
``400 INVALID_FIELD`` to a query naming a field it lacks, and a plain Developer Edition org has
no country picklists, no person accounts and none of our custom fields.

Each object is read through ``queryAll`` (deleted records included, with ``IsDeleted``) ordered
by ``SystemModstamp, Id``, up to the moment the org says every change is committed
(``latestDateCovered``); the cursor per object is the last SystemModstamp that landed and the
Ids landed at it, so a run stopped anywhere resumes exactly after the last record it wrote.
Tasks that Frontline itself wrote back (they carry the external-id field) are not read back in.

Credentials: ``<credentials_env>_CLIENT_ID`` and ``<credentials_env>_CLIENT_SECRET`` in the
environment; the token is fetched at the start of a run and again once if it expires.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from frontline.customers.models import InteractionChannel, InteractionKind
from frontline.sync import mapping as m
from frontline.sync.connectors.base import Connector, Page, Raw, Record
from frontline.sync.connectors.http import new_client, request, secret
from frontline.sync.models import Entity

logger = logging.getLogger("frontline.sync")

API = "/services/data/v60.0"
DEFAULT_EXTERNAL_ID_FIELD = "Frontline_Key__c"

# Fields without which an object cannot be synced at all; every org has them.
REQUIRED_FIELDS = {
    "Contact": ("Id", "FirstName", "LastName", "SystemModstamp", "IsDeleted"),
    "Account": (
        "Id",
        "FirstName",
        "LastName",
        "SystemModstamp",
        "IsDeleted",
        "IsPersonAccount",
        "PersonContactId",
    ),
    "Task": ("Id", "WhoId", "Subject", "SystemModstamp", "IsDeleted"),
}
# Fields mapped when the org has them (and the integration user may see them).
OPTIONAL_FIELDS = {
    "Contact": (
        "Email",
        "MobilePhone",
        "Phone",
        "MailingPostalCode",
        "MailingCountryCode",
        "MailingCountry",
        "Birthdate",
        "HasOptedOutOfEmail",
    ),
    "Account": (
        "PersonEmail",
        "PersonMobilePhone",
        "Phone",
        "PersonMailingPostalCode",
        "PersonMailingCountryCode",
        "PersonMailingCountry",
        "PersonBirthdate",
        "PersonHasOptedOutOfEmail",
    ),
    "Task": (
        "Description",
        "ActivityDate",
        "CompletedDateTime",
        "TaskSubtype",
        "Status",
        "IsClosed",
    ),
}
OBJECTS: dict[str, tuple[str, ...]] = {
    Entity.CUSTOMERS: ("Contact", "Account"),
    Entity.INTERACTIONS: ("Task",),
}
SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15,18}$")
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
OUTBOX_KEY = re.compile(r"[A-Za-z0-9.:_-]{1,80}")
TASK_KINDS = {"Call": InteractionChannel.PHONE, "Email": InteractionChannel.EMAIL}
# How often a query is re-issued from its keyset position after its locator expired without
# the listing moving on in between; more would mean the org keeps dropping our locators.
LOCATOR_RETRIES = 3


class WriteBackUnavailable(RuntimeError):
    """The org cannot take Frontline's Tasks (it lacks the external-id field)."""


# --- SOQL literals ----------------------------------------------------------------------

# The SOQL reference's quoted-string escape sequences ("Quoted String Escape Sequences").
_SOQL_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def soql_string(value: str) -> str:
    """A quoted SOQL string literal for ``value`` (never for LIKE patterns)."""
    return "'" + "".join(_SOQL_ESCAPES.get(char, char) for char in value) + "'"


def soql_datetime(moment: datetime) -> str:
    """A SOQL dateTime literal in the documented ``YYYY-MM-DDThh:mm:ssZ`` form.

    The format has whole seconds only: the milliseconds of a ``SystemModstamp`` cannot be
    written into a query, which is why the keyset read below works at the second.
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(value: Any) -> datetime:
    """A ``SystemModstamp`` as the API returns it (``2026-12-06T11:46:30.009+0000``)."""
    return m.moment(value, "SystemModstamp")


# --- The keyset position ----------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """How far an object's listing has landed: the last SystemModstamp, and the Ids landed
    at exactly that stamp."""

    stamp: datetime
    ids: frozenset[str]

    @classmethod
    def from_cursor(cls, value: Any) -> Position | None:
        if not value:
            return None
        if isinstance(value, str):
            # A cursor from before keyset reading held only a stamp: re-read that stamp whole
            # (landing is idempotent, so records at it are written again, never lost).
            return cls(parse_stamp(value), frozenset())
        return cls(parse_stamp(value["SystemModstamp"]), frozenset(value["Ids"]))

    def to_cursor(self) -> dict[str, Any]:
        return {"SystemModstamp": self.stamp.isoformat(), "Ids": sorted(self.ids)}

    def is_after(self, raw: Raw) -> bool:
        """Whether ``raw`` has not landed yet: stamped later, or at the same stamp and not
        among the Ids landed at it.

        Remembering the Ids rather than the last one makes this independent of how the org
        orders Ids that share a stamp (records saved in one transaction often do).
        """
        stamp = parse_stamp(raw["SystemModstamp"])
        return stamp > self.stamp or (stamp == self.stamp and str(raw["Id"]) not in self.ids)

    def after(self, raw: Raw) -> Position:
        """The position once ``raw`` (read in SystemModstamp order) has landed too."""
        stamp, record_id = parse_stamp(raw["SystemModstamp"]), str(raw["Id"])
        if stamp == self.stamp:
            return Position(stamp, self.ids | {record_id})
        return Position(stamp, frozenset({record_id}))

    def condition(self) -> str:
        # SystemModstamp carries milliseconds but a dateTime literal only whole seconds, so the
        # query starts at the position's second and the client drops what it has already
        # landed within that second (is_after). ">" on the literal would skip the rest of it.
        return f"SystemModstamp >= {soql_datetime(self.stamp.replace(microsecond=0))}"


START = Position(datetime.min.replace(tzinfo=UTC), frozenset())


# --- Errors -----------------------------------------------------------------------------


def error_codes(error: BaseException) -> set[str]:
    """The ``errorCode``s of a Salesforce error answer (a JSON list of errors)."""
    if not isinstance(error, httpx.HTTPStatusError):
        return set()
    try:
        body = error.response.json()
    except ValueError:
        return set()
    errors = body if isinstance(body, list) else [body]
    return {str(item.get("errorCode", "")) for item in errors if isinstance(item, dict)}


def _limit_exceeded(error: BaseException) -> bool:
    return (
        isinstance(error, httpx.HTTPStatusError)
        and error.response.status_code == 403
        and "REQUEST_LIMIT_EXCEEDED" in error_codes(error)
    )


class SalesforceConnector(Connector):
    entities = (Entity.CUSTOMERS, Entity.INTERACTIONS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._client: httpx.Client | None = None
        self._described: dict[str, dict[str, dict[str, Any]]] = {}
        self._warned_no_external_id = False

    @property
    def external_id_field(self) -> str:
        name = str(self.source.options.get("external_id_field") or DEFAULT_EXTERNAL_ID_FIELD)
        if not FIELD_NAME.match(name):
            raise ValueError(f"external_id_field {name!r} is not a Salesforce field name")
        return name

    # --- Session ------------------------------------------------------------------------

    def _session(self) -> httpx.Client:
        if self._client is None:
            self._client = new_client(base_url=self._login())
        return self._client

    def _login(self) -> str:
        prefix = self.source.credentials_env
        with new_client() as client:
            answer = request(
                client,
                "POST",
                f"{self.source.base_url.rstrip('/')}/services/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": secret(f"{prefix}_CLIENT_ID"),
                    "client_secret": secret(f"{prefix}_CLIENT_SECRET"),
                },
            ).json()
        self._token = answer["access_token"]
        return str(answer.get("instance_url") or self.source.base_url)

    def _call(self, method: str, url: str, **options: Any) -> httpx.Response:
        """One API call: 403 REQUEST_LIMIT_EXCEEDED backs off and tries again, bounded.

        Salesforce answers 403 both for "not allowed" and for "over the org's API request
        limit"; only the latter is worth waiting for (other 403s fail at once). When the
        attempts run out the run fails with the answer, and the next run resumes from the
        cursor.
        """
        retrying = Retrying(
            stop=stop_after_attempt(settings.SYNC_HTTP_ATTEMPTS),
            wait=wait_random_exponential(
                multiplier=settings.SYNC_HTTP_BACKOFF, max=float(settings.SYNC_HTTP_BACKOFF_CAP)
            ),
            retry=retry_if_exception(_limit_exceeded),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return self._authorised_call(method, url, **options)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def _authorised_call(self, method: str, url: str, **options: Any) -> httpx.Response:
        client = self._session()
        for attempt in range(2):
            try:
                response = request(
                    client,
                    method,
                    url,
                    headers={"Authorization": f"Bearer {self._token}"},
                    **options,
                )
            except httpx.HTTPStatusError as error:
                if error.response.status_code != 401 or attempt:
                    raise
                self._login()  # the token expired: one new one, then give up
            else:
                _log_api_usage(response)
                return response
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # --- Schema discovery ---------------------------------------------------------------

    def _field_properties(self, sobject: str) -> dict[str, dict[str, Any]]:
        """The object's fields the integration user can see, by name (described once a run)."""
        if sobject not in self._described:
            answer = self._call("GET", f"{API}/sobjects/{sobject}/describe").json()
            self._described[sobject] = {str(f["name"]): f for f in answer.get("fields", [])}
        return self._described[sobject]

    def _describe(self, sobject: str) -> set[str]:
        return set(self._field_properties(sobject))

    def _has_person_accounts(self) -> bool:
        return "IsPersonAccount" in self._describe("Account")

    def _objects(self, entity: str) -> tuple[str, ...]:
        # Account holds customers only in orgs with person accounts; elsewhere its records are
        # companies, which are not clienteling's customers.
        return tuple(
            sobject
            for sobject in OBJECTS[entity]
            if sobject != "Account" or self._has_person_accounts()
        )

    def _select(self, sobject: str) -> list[str]:
        available = self._describe(sobject)
        missing = [name for name in REQUIRED_FIELDS[sobject] if name not in available]
        if missing:
            raise RuntimeError(
                f"the CRM's {sobject} lacks {', '.join(missing)} (or the integration user "
                "cannot see them): Frontline cannot read it"
            )
        optional = [name for name in OPTIONAL_FIELDS[sobject] if name in available]
        return [*REQUIRED_FIELDS[sobject], *optional]

    def _filters(self, sobject: str) -> list[str]:
        available = self._describe(sobject)
        if sobject == "Account":
            return ["IsPersonAccount = true"]
        if sobject == "Contact" and "IsPersonAccount" in available:
            # A person account's contact is read as the Account already.
            return ["IsPersonAccount = false"]
        if sobject == "Task":
            return self._task_filters(available)
        return []

    def _task_filters(self, available: set[str]) -> list[str]:
        filters = []
        # A Task not yet closed is a plan (call her on Friday), not something that happened
        # with the customer: it becomes an interaction once closed, when its SystemModstamp
        # moves and the next run reads it. Deleted Tasks are read to withdraw what landed.
        if "IsClosed" in available:
            filters.append("(IsClosed = true OR IsDeleted = true)")
        key = self.external_id_field
        if key in available:
            filters.append(f"{key} = null")  # our own write-backs are not read back in
        elif not self._warned_no_external_id:
            self._warned_no_external_id = True
            logger.warning(
                "the CRM's Task has no field %s: notes cannot be written back to it until the "
                "field exists (a Text field marked External ID)",
                key,
            )
        return filters

    # --- Reading ------------------------------------------------------------------------

    def _soql(self, sobject: str, conditions: list[str]) -> str:
        where = " AND ".join([*self._filters(sobject), *conditions])
        return (
            f"SELECT {', '.join(self._select(sobject))} FROM {sobject}"  # noqa: S608 - SOQL
            + (f" WHERE {where}" if where else "")
            + " ORDER BY SystemModstamp ASC, Id ASC"
        )

    def _batches(self, soql: str) -> Iterator[list[Raw]]:
        """The batches of a ``queryAll`` (deleted records included), following the locator."""
        answer = self._call("GET", f"{API}/queryAll", params={"q": soql}).json()
        while True:
            yield answer["records"]
            if answer.get("done", True) or not answer.get("nextRecordsUrl"):
                return
            answer = self._call("GET", answer["nextRecordsUrl"]).json()

    def _read(
        self, sobject: str, position: Position | None
    ) -> Iterator[tuple[list[Raw], Position | None]]:
        """Batches of records after ``position``, each with the position it ends at.

        A locator expires (15 minutes without use, or when the user opens too many): the
        query is then asked again from the keyset position, which gives the same records
        from where the listing stood.
        """
        stalled = 0
        covered = self._covered_until(sobject)
        while True:
            conditions = [position.condition()] if position else []
            if covered is not None:
                conditions.append(f"SystemModstamp < {soql_datetime(covered)}")
            try:
                for batch in self._batches(self._soql(sobject, conditions)):
                    landed_from = position or START
                    fresh = [r for r in batch if landed_from.is_after(r)]
                    for record in fresh:
                        landed_from = landed_from.after(record)
                    if fresh:
                        position, stalled = landed_from, 0
                    yield fresh, position
                return
            except httpx.HTTPStatusError as error:
                if "INVALID_QUERY_LOCATOR" not in error_codes(error) or stalled >= LOCATOR_RETRIES:
                    raise
                stalled += 1
                logger.info("query locator of %s expired; asking again from %s", sobject, position)

    def _covered_until(self, sobject: str) -> datetime | None:
        """The moment before which every change to ``sobject`` is committed and visible.

        A record's SystemModstamp is set when it is saved, but a long-running transaction
        (a batch job, a mass update) makes it visible only when it commits, possibly after
        records stamped later were read: a keyset read past them would skip it for ever.
        Salesforce's replication resource ("sObject Get Updated") answers
        ``latestDateCovered``, the start of the oldest transaction still running (else the end
        asked for), so the listing stops before it; what is newer comes in the next run.
        The window asked for is one minute, as only that date is wanted (and the resource
        refuses windows with more than 600,000 changes).
        """
        end = timezone.now().astimezone(UTC).replace(second=0, microsecond=0)
        try:
            answer = self._call(
                "GET",
                f"{API}/sobjects/{sobject}/updated/",
                params={
                    "start": (end - timedelta(minutes=1)).isoformat(),
                    "end": end.isoformat(),
                },
            ).json()
        except httpx.HTTPStatusError as error:
            if error.response.status_code not in {400, 404}:
                raise
            # An object that is not replicateable: read without the bound, and say so.
            logger.warning("no latestDateCovered for %s: %s", sobject, error)
            return None
        covered = answer.get("latestDateCovered")
        return parse_stamp(covered) if covered else end

    def pages(self, entity: str, cursor: dict[str, Any]) -> Iterator[Page]:
        state = dict(cursor)
        try:
            for sobject in self._objects(entity):
                start = Position.from_cursor(state.get(sobject))
                for records, position in self._read(sobject, start):
                    if position is not None:
                        state[sobject] = position.to_cursor()
                    yield Page(records, dict(state))
        finally:
            self.close()

    def fetch(self, entity: str, external_ids: list[str]) -> list[Raw]:
        ids = [i for i in external_ids if SALESFORCE_ID.match(i)]
        if not ids:
            return []
        listed = ", ".join(soql_string(i) for i in ids)
        try:
            return [
                record
                for sobject in self._objects(entity)
                for batch in self._batches(self._soql(sobject, [_named(sobject, listed)]))
                for record in batch
            ]
        finally:
            self.close()

    def external_id(self, entity: str, raw: Raw) -> str:
        return str(raw.get("Id") or "")[:100]

    # --- Writing back -------------------------------------------------------------------

    def task_upsert(self, *, key: str, fields: dict[str, Any]) -> str:
        """Create or update the CRM Task whose external-id field holds ``key``; its id.

        Upserting on our own external id makes a retry after a lost answer update the Task it
        already created instead of creating a second one. The field is
        ``options["external_id_field"]`` (``Frontline_Key__c`` unless configured).
        """
        if not OUTBOX_KEY.fullmatch(key):
            raise ValueError(f"outbox key {key!r} may hold only letters, digits, '.', ':', '-'")
        field = self.external_id_field
        try:
            properties = self._field_properties("Task")
            if not (properties.get(field) or {}).get("externalIdField"):
                raise WriteBackUnavailable(
                    f"the CRM's Task has no external-id field {field}: write-back needs one. "
                    "Create it (Text, marked External ID) or name an existing one in the "
                    "source's options as external_id_field."
                )
            response = self._upsert_task(field, key, fields, properties)
            # 201 when created; an update answers 200 with the id (API 46.0 and later) or 204
            # without a body (earlier versions), when the id is looked up.
            if response.content:
                return str(response.json().get("id", ""))
            found = self._call(
                "GET",
                f"{API}/query",
                params={"q": f"SELECT Id FROM Task WHERE {field} = {soql_string(key)}"},  # noqa: S608
            ).json()["records"]
            return str(found[0]["Id"]) if found else ""
        finally:
            self.close()

    def _upsert_task(
        self, field: str, key: str, fields: dict[str, Any], properties: dict[str, dict[str, Any]]
    ) -> httpx.Response:
        """PATCH the Task; fields the integration user cannot set are left out.

        Some fields can be set only when a record is created (describe says ``createable``
        but not ``updateable``, e.g. a Task's subtype). An upsert that finds the Task updates
        it, and Salesforce refuses the whole update naming such a field
        (INVALID_FIELD_FOR_INSERT_UPDATE): then it is sent again without them.
        """
        url = f"{API}/sobjects/Task/{field}/{key}"
        body = {k: v for k, v in fields.items() if (properties.get(k) or {}).get("createable")}
        try:
            return self._call("PATCH", url, json=body)
        except httpx.HTTPStatusError as error:
            if "INVALID_FIELD_FOR_INSERT_UPDATE" not in error_codes(error):
                raise
        updatable = {k: v for k, v in body.items() if properties[k].get("updateable")}
        return self._call("PATCH", url, json=updatable)

    # --- Mappings -----------------------------------------------------------------------

    def map_customers(self, raw: Raw) -> Record:
        person = (raw.get("attributes") or {}).get("type") == "Account"
        # A person account is known to the rest of the CRM by its person contact: Tasks name it
        # as their WhoId, and a Task written back must name it too (WhoId takes a Contact or a
        # Lead, never an Account).
        key = "PersonContactId" if person and raw.get("PersonContactId") else "Id"
        if raw.get("IsDeleted") is True:
            return tombstone(raw, key)
        prefix = "Person" if person else ""
        country = _country(raw, f"{prefix}MailingCountryCode", f"{prefix}MailingCountry")
        mobile = raw.get(f"{prefix}MobilePhone")
        record: Record = {
            "external_id": m.required(raw, key),
            "number": "",
            "first_name": m.required(raw, "FirstName")[:100],
            "last_name": m.text(raw, "LastName", limit=100),
            "email": m.email(raw.get("PersonEmail" if person else "Email")),
            # A contact's mobile is the number a store associate can text; the other phone is
            # often a switchboard. An empty mobile falls back to it.
            "phone": m.phone(mobile if mobile else raw.get("Phone"), country),
            "postcode": m.text(raw, f"{prefix}MailingPostalCode", limit=16),
            "country": country,
        }
        # Optional keys only when the org has the field: a key the source cannot know must not
        # read as "the source says blank".
        birthdate = f"{prefix}Birthdate"
        if birthdate in raw:
            record["birthday"] = m.optional_date(raw[birthdate], birthdate)
        opted_out = f"{prefix}HasOptedOutOfEmail"
        if opted_out in raw:
            record["consents"] = _email_consents(raw, opted_out)
        return record

    def map_interactions(self, raw: Raw) -> Record:
        if raw.get("IsDeleted") is True:
            return tombstone(raw)
        subject = m.text(raw, "Subject", limit=200)
        description = m.text(raw, "Description", limit=300)
        return {
            "external_id": m.required(raw, "Id"),
            "customer_external_id": m.required(raw, "WhoId"),
            "kind": InteractionKind.NOTE,
            "channel": TASK_KINDS.get(str(raw.get("TaskSubtype")), InteractionChannel.PHONE),
            "summary": " — ".join(part for part in (subject, description) if part)[:500],
            "occurred_at": _task_moment(raw),
        }


def _named(sobject: str, listed: str) -> str:
    """The records with these ids; a person account also by its person contact's id, which is
    how Frontline and the CRM's Tasks know it."""
    if sobject == "Account":
        return f"(Id IN ({listed}) OR PersonContactId IN ({listed}))"
    return f"Id IN ({listed})"


def tombstone(raw: Raw, key: str = "Id") -> Record:
    """A record deleted in the CRM: the landing hides what it had from this source."""
    return {"external_id": m.required(raw, key), "deleted": True}


def _country(raw: Raw, code_field: str, text_field: str) -> str:
    """The ISO code: the picklist's code field when the org has state and country picklists,
    else the free-text country if someone typed a two-letter code into it; else blank."""
    if code_field in raw:
        return m.country(raw[code_field])
    typed = str(raw.get(text_field) or "").strip()
    return typed.upper() if re.fullmatch(r"[A-Za-z]{2}", typed) else ""


def _email_consents(raw: Raw, field: str) -> list[dict[str, Any]]:
    """An opt-out of e-mail marketing when the CRM records one.

    ``HasOptedOutOfEmail = false`` only says nobody opted out, which is not permission:
    Frontline never assumes consent, so it gives no entry. The time is the record's
    SystemModstamp, the last change the CRM vouches for (field history would be exact, but
    it exists only where an admin turned it on for this field).
    """
    if raw[field] is not True:
        return []
    return [
        {
            "channel": "email",
            "purpose": "marketing",
            "granted": False,
            "recorded_at": parse_stamp(raw.get("SystemModstamp")),
        }
    ]


def _task_moment(raw: Raw) -> datetime:
    """When the activity happened: when it was completed if the org records it, else its date,
    else when the Task last changed."""
    for name in ("CompletedDateTime", "ActivityDate"):
        if raw.get(name):
            return m.moment(raw[name], name)
    return parse_stamp(raw.get("SystemModstamp"))


def _log_api_usage(response: httpx.Response) -> None:
    """Warn when the org's daily API requests run low (``Sforce-Limit-Info: api-usage=n/max``):
    beyond the limit every call answers 403 REQUEST_LIMIT_EXCEEDED, for every integration."""
    found = re.search(r"api-usage=(\d+)/(\d+)", response.headers.get("Sforce-Limit-Info", ""))
    if found and int(found.group(2)) and int(found.group(1)) >= 0.9 * int(found.group(2)):
        logger.warning("Salesforce API requests used: %s of %s", found.group(1), found.group(2))
