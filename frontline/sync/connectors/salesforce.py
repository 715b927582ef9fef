"""CRM over REST, shaped like Salesforce: OAuth client credentials, SOQL, ``SystemModstamp``.

Contacts and person Accounts become customers, Tasks become interactions. Each object is read
with ``WHERE SystemModstamp >= <cursor> ORDER BY SystemModstamp`` and followed through
``nextRecordsUrl``; the cursor (one stamp per object) advances with every page. Tasks that
Frontline itself wrote back (they carry ``Frontline_Key__c``) are not read back in.

Credentials: ``<credentials_env>_CLIENT_ID`` and ``<credentials_env>_CLIENT_SECRET`` in the
environment; the token is fetched at the start of a run and again once if it expires.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx

from frontline.customers.models import InteractionChannel, InteractionKind
from frontline.sync import mapping as m
from frontline.sync.connectors.base import Connector, Page, Raw, Record
from frontline.sync.connectors.http import new_client, request, secret
from frontline.sync.models import Entity

API = "/services/data/v60.0"
FIELDS = {
    "Contact": "Id, FirstName, LastName, Email, Phone, MailingPostalCode, MailingCountryCode, "
    "SystemModstamp",
    "Account": "Id, FirstName, LastName, PersonEmail, PersonMobilePhone, "
    "PersonMailingPostalCode, PersonMailingCountryCode, SystemModstamp",
    "Task": "Id, WhoId, Subject, Description, ActivityDate, TaskSubtype, SystemModstamp",
}
FILTERS = {"Contact": "", "Account": "IsPersonAccount = true", "Task": "Frontline_Key__c = null"}
OBJECTS = {Entity.CUSTOMERS: ("Contact", "Account"), Entity.INTERACTIONS: ("Task",)}
SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15,18}$")
OUTBOX_KEY = re.compile(r"[A-Za-z0-9.:_-]{1,80}")
TASK_KINDS = {"Call": InteractionChannel.PHONE, "Email": InteractionChannel.EMAIL}


class SalesforceConnector(Connector):
    entities = (Entity.CUSTOMERS, Entity.INTERACTIONS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._client: httpx.Client | None = None

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
        client = self._session()
        for attempt in range(2):
            try:
                return request(
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
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # --- Reading ------------------------------------------------------------------------

    def _query(self, soql: str) -> Iterator[list[Raw]]:
        answer = self._call("GET", f"{API}/query", params={"q": soql}).json()
        while True:
            yield answer["records"]
            if answer.get("done", True) or not answer.get("nextRecordsUrl"):
                return
            answer = self._call("GET", answer["nextRecordsUrl"]).json()

    @staticmethod
    def _soql(sobject: str, conditions: list[str]) -> str:
        where = " AND ".join(c for c in [FILTERS[sobject], *conditions] if c)
        return (
            f"SELECT {FIELDS[sobject]} FROM {sobject}"  # noqa: S608 - SOQL, values validated
            + (f" WHERE {where}" if where else "")
            + " ORDER BY SystemModstamp ASC"
        )

    def pages(self, entity: str, cursor: dict[str, Any]) -> Iterator[Page]:
        position = dict(cursor)
        try:
            for sobject in OBJECTS[entity]:
                since = position.get(sobject)
                if since and not re.fullmatch(r"[0-9T:.+\-Z]+", since):
                    raise ValueError(f"cursor {since!r} is not a SystemModstamp")
                conditions = [f"SystemModstamp >= {since}"] if since else []
                for records in self._query(self._soql(sobject, conditions)):
                    if records:
                        position[sobject] = max(r["SystemModstamp"] for r in records)
                    yield Page(records, dict(position))
        finally:
            self.close()

    def fetch(self, entity: str, external_ids: list[str]) -> list[Raw]:
        ids = [i for i in external_ids if SALESFORCE_ID.match(i)]
        if not ids:
            return []
        quoted = ", ".join(f"'{i}'" for i in ids)
        try:
            return [
                record
                for sobject in OBJECTS[entity]
                for records in self._query(self._soql(sobject, [f"Id IN ({quoted})"]))
                for record in records
            ]
        finally:
            self.close()

    def external_id(self, entity: str, raw: Raw) -> str:
        return str(raw.get("Id") or "")[:100]

    # --- Writing back -------------------------------------------------------------------

    def task_upsert(self, *, key: str, fields: dict[str, Any]) -> str:
        """Create or update the CRM Task whose ``Frontline_Key__c`` is ``key``; its id.

        Upserting on our own external id makes a retry after a lost answer update the Task it
        already created instead of creating a second one.
        """
        if not OUTBOX_KEY.fullmatch(key):
            raise ValueError(f"outbox key {key!r} may hold only letters, digits, '.', ':', '-'")
        try:
            response = self._call(
                "PATCH", f"{API}/sobjects/Task/Frontline_Key__c/{key}", json=fields
            )
            if response.content:
                return str(response.json().get("id", ""))
            found = self._call(
                "GET",
                f"{API}/query",
                params={"q": f"SELECT Id FROM Task WHERE Frontline_Key__c = '{key}'"},  # noqa: S608
            ).json()["records"]
            return str(found[0]["Id"]) if found else ""
        finally:
            self.close()

    # --- Mappings -----------------------------------------------------------------------

    def map_customers(self, raw: Raw) -> Record:
        person = (raw.get("attributes") or {}).get("type") == "Account"
        prefix = "Person" if person else ""
        country = m.country(raw.get(f"{prefix}MailingCountryCode"))
        return {
            "external_id": m.required(raw, "Id"),
            "number": "",
            "first_name": m.required(raw, "FirstName")[:100],
            "last_name": m.text(raw, "LastName", limit=100),
            "email": m.email(raw.get("PersonEmail" if person else "Email")),
            "phone": m.phone(raw.get("PersonMobilePhone" if person else "Phone"), country),
            "postcode": m.text(raw, f"{prefix}MailingPostalCode", limit=16),
            "country": country,
        }

    def map_interactions(self, raw: Raw) -> Record:
        subject = m.text(raw, "Subject", limit=200)
        description = m.text(raw, "Description", limit=300)
        when = raw.get("ActivityDate")
        return {
            "external_id": m.required(raw, "Id"),
            "customer_external_id": m.required(raw, "WhoId"),
            "kind": InteractionKind.NOTE,
            "channel": TASK_KINDS.get(str(raw.get("TaskSubtype")), InteractionChannel.PHONE),
            "summary": " — ".join(part for part in (subject, description) if part)[:500],
            "occurred_at": m.moment(when, "ActivityDate")
            if when
            else m.moment(raw.get("SystemModstamp"), "SystemModstamp"),
        }
