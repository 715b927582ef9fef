"""A stand-in Salesforce org over real HTTP (pytest-httpserver), built from Salesforce's docs.

What it follows, and where it is written down:

- OAuth 2.0 client-credentials token (``/services/oauth2/token``), answering ``instance_url``.
- ``GET /services/data/vXX.X/sobjects/{Object}/describe`` ("sObject Describe"): the org's
  fields, each with ``name``, ``type``, ``nillable``, ``externalIdField``.
- ``query`` and ``queryAll`` ("Query", "QueryAll", "Execute a SOQL Query that Includes Deleted
  Items"): ``{totalSize, done, nextRecordsUrl, records}``, every record with ``attributes``
  ``{type, url}``; ``query`` leaves deleted records out, ``queryAll`` includes them; the
  ``nextRecordsUrl`` of both has ``query`` in its path. Locators can be expired by a test
  ("QueryLocator": they expire after 15 minutes of inactivity) and then answer
  ``INVALID_QUERY_LOCATOR``.
- SOQL as the "SOQL and SOSL Reference" defines it, as far as a sync uses it: SELECT lists
  checked against the object (``INVALID_FIELD``), WHERE with AND/OR/NOT/parentheses, =, !=,
  <, <=, >, >=, IN, null, true/false, quoted strings with the documented escape sequences,
  dates and dateTimes only in the formats of "Date Formats and Date Literals in WHERE"
  (anything else is ``MALFORMED_QUERY``), ORDER BY several fields (ASC nulls first by
  default), LIMIT.
- Errors as "Status Codes and Error Responses" describes them: a JSON list of
  ``{"message", "errorCode"}``; 400 for INVALID_FIELD / MALFORMED_QUERY, 401
  INVALID_SESSION_ID, 403 REQUEST_LIMIT_EXCEEDED (injectable), 404 NOT_FOUND.
- ``Sforce-Limit-Info: api-usage=n/max`` on every API answer ("Limits Info Header").
- Upsert by external id ("Insert or Update (Upsert) a Record Using an External ID"): PATCH
  ``/sobjects/Task/{field}/{value}``; 201 with ``created: true`` for a new record, for an
  update 200 with ``created: false`` from API 46.0 on (204 without a body before); 404
  NOT_FOUND when the field is not an external id of the object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.sync.standins import StandIn

# --- The org's schema -------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    type: str
    nillable: bool = True
    external_id: bool = False
    createable: bool = True
    updateable: bool = True


def _fields(**types: str) -> dict[str, FieldSpec]:
    return {name: FieldSpec(kind) for name, kind in types.items()}


def _system(**types: str) -> dict[str, FieldSpec]:
    """Fields the org sets itself: readable, never written through the API."""
    return {
        name: FieldSpec(kind, createable=False, updateable=False) for name, kind in types.items()
    }


SYSTEM = _system(Id="id", IsDeleted="boolean", SystemModstamp="datetime")
DEVELOPER_EDITION = {
    # No state and country picklists (so no *CountryCode), no person accounts, nothing custom.
    "Contact": {
        **SYSTEM,
        **_fields(
            FirstName="string",
            LastName="string",
            Email="email",
            Phone="phone",
            MobilePhone="phone",
            MailingPostalCode="string",
            MailingCountry="string",
            Birthdate="date",
            HasOptedOutOfEmail="boolean",
        ),
    },
    "Account": {**SYSTEM, **_fields(Name="string", Phone="phone")},
    "Task": {
        **SYSTEM,
        **_fields(
            WhoId="reference",
            Subject="combobox",
            Description="textarea",
            ActivityDate="date",
            Status="picklist",
        ),
        **_system(CompletedDateTime="datetime", IsClosed="boolean"),
        # Object Reference, Task: TaskSubtype is set when the Task is created, never updated.
        "TaskSubtype": FieldSpec("picklist", updateable=False),
    },
}


def developer_edition_org() -> dict[str, dict[str, FieldSpec]]:
    return {name: dict(fields) for name, fields in DEVELOPER_EDITION.items()}


def rich_org(external_id_field: str = "Frontline_Key__c") -> dict[str, dict[str, FieldSpec]]:
    """Country picklists, person accounts and Frontline's external-id field on Task."""
    org = developer_edition_org()
    org["Contact"].update(_fields(MailingCountryCode="picklist", IsPersonAccount="boolean"))
    org["Account"].update(
        _fields(
            FirstName="string",
            LastName="string",
            IsPersonAccount="boolean",
            PersonContactId="reference",
            PersonEmail="email",
            PersonMobilePhone="phone",
            PersonMailingPostalCode="string",
            PersonMailingCountry="string",
            PersonMailingCountryCode="picklist",
            PersonBirthdate="date",
            PersonHasOptedOutOfEmail="boolean",
        )
    )
    org["Task"][external_id_field] = FieldSpec("string", external_id=True)
    return org


# --- SOQL ---------------------------------------------------------------------------------


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


DATETIME_LITERAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})")
DATE_LITERAL = re.compile(r"\d{4}-\d{2}-\d{2}")
TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<op>!=|<>|<=|>=|=|<|>|\(|\)|,)"
    r"|(?P<word>[^\s'(),=<>!]+))"
)
STRING_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
KEYWORDS = {"select", "from", "where", "and", "or", "not", "in", "order", "by", "limit"}


@dataclass
class Literal:
    value: Any
    kind: str  # string, datetime, date, boolean, null, number


@dataclass
class Query:
    fields: list[str]
    sobject: str
    where: Callable[[dict[str, Any]], bool] | None
    order: list[tuple[str, bool, bool]]  # field, descending, nulls last
    limit: int | None


def _unescape(quoted: str) -> str:
    body, out, index = quoted[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            index += 1
            nxt = body[index]
            if nxt in STRING_ESCAPES:
                out.append(STRING_ESCAPES[nxt])
            elif nxt in "'\"\\_%":
                out.append(nxt if nxt not in "_%" else "\\" + nxt)
            else:
                raise SoqlError("MALFORMED_QUERY", f"Invalid string literal {quoted}")
        else:
            out.append(char)
        index += 1
    return "".join(out)


def tokenize(soql: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = soql.rstrip()
    while position < len(text):
        found = TOKEN.match(text, position)
        if not found or found.end() == position:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token at {text[position:][:20]!r}")
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
        position = found.end()
    return tokens


class Parser:
    """Recursive descent over the subset of SOQL a sync sends."""

    def __init__(self, soql: str, schema: dict[str, dict[str, FieldSpec]]) -> None:
        self.soql = soql
        self.tokens = tokenize(soql)
        self.index = 0
        self.schema = schema
        self.fields: dict[str, FieldSpec] = {}
        self.sobject = ""

    # Token helpers.
    def _peek(self) -> str:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else ""

    def _next(self) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _accept(self, word: str) -> bool:
        if self._peek().lower() == word:
            self.index += 1
            return True
        return False

    def _expect(self, word: str) -> None:
        if not self._accept(word):
            raise SoqlError("MALFORMED_QUERY", f"expecting '{word}', found '{self._peek()}'")

    def _field(self, name: str) -> str:
        for known in self.fields:
            if known.lower() == name.lower():
                return known
        raise SoqlError(
            "INVALID_FIELD",
            f"\n{self.soql}\nERROR at Row:1:Column:1\nNo such column '{name}' on entity "
            f"'{self.sobject}'. If you are attempting to use a custom field, be sure to append "
            "the '__c' after the custom field name.",
        )

    # Grammar.
    def parse(self) -> Query:
        self._expect("select")
        names = [self._next()[1]]
        while self._accept(","):
            names.append(self._next()[1])
        self._expect("from")
        sobject = self._next()[1]
        if sobject not in self.schema:
            raise SoqlError("INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
        self.sobject, self.fields = sobject, self.schema[sobject]
        selected = [self._field(name) for name in names]
        where = self._condition() if self._accept("where") else None
        order: list[tuple[str, bool, bool]] = []
        if self._accept("order"):
            self._expect("by")
            order.append(self._ordering())
            while self._accept(","):
                order.append(self._ordering())
        limit = None
        if self._accept("limit"):
            limit = int(self._next()[1])
        if self.index != len(self.tokens):
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{self._peek()}'")
        return Query(selected, sobject, where, order, limit)

    def _ordering(self) -> tuple[str, bool, bool]:
        name = self._field(self._next()[1])
        descending = False
        if self._accept("desc"):
            descending = True
        else:
            self._accept("asc")
        nulls_last = descending  # SOQL: ASC puts nulls first, DESC last, unless told
        if self._accept("nulls"):
            nulls_last = self._next()[1].lower() == "last"
        return name, descending, nulls_last

    def _condition(self) -> Callable[[dict[str, Any]], bool]:
        left = self._conjunction()
        while self._accept("or"):
            left = _either(left, self._conjunction())
        return left

    def _conjunction(self) -> Callable[[dict[str, Any]], bool]:
        left = self._term()
        while self._accept("and"):
            left = _both(left, self._term())
        return left

    def _term(self) -> Callable[[dict[str, Any]], bool]:
        if self._accept("not"):
            inner = self._term()
            return lambda row: not inner(row)
        if self._accept("("):
            inner = self._condition()
            self._expect(")")
            return inner
        name = self._field(self._next()[1])
        spec = self.fields[name]
        if self._accept("in"):
            self._expect("(")
            values = [self._literal(spec)]
            while self._accept(","):
                values.append(self._literal(spec))
            self._expect(")")
            wanted = [_comparable(spec, v.value) for v in values]
            return lambda row: _comparable(spec, row.get(name)) in wanted
        operator = self._next()[1]
        if operator not in {"=", "!=", "<>", "<", "<=", ">", ">="}:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{operator}'")
        literal = self._literal(spec)
        return _comparison(name, spec, operator, literal)

    def _literal(self, spec: FieldSpec) -> Literal:
        kind, text = self._next()
        if kind == "string":
            literal = Literal(_unescape(text), "string")
        elif text.lower() == "null":
            literal = Literal(None, "null")
        elif text.lower() in {"true", "false"}:
            literal = Literal(text.lower() == "true", "boolean")
        elif DATETIME_LITERAL.fullmatch(text):
            literal = Literal(datetime.fromisoformat(text.replace("Z", "+00:00")), "datetime")
        elif DATE_LITERAL.fullmatch(text):
            literal = Literal(date.fromisoformat(text), "date")
        elif re.fullmatch(r"-?\d+(\.\d+)?", text):
            literal = Literal(float(text), "number")
        elif re.match(r"\d{4}-\d{2}-\d{2}", text):
            raise SoqlError(
                "MALFORMED_QUERY",
                f"\n{self.soql}\nERROR at Row:1:Column:1\nline 1:1 no viable alternative at "
                f"character '{text}'",
            )
        else:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text}'")
        _check_type(spec, literal)
        return literal


Predicate = Callable[[dict[str, Any]], bool]


def _either(first: Predicate, second: Predicate) -> Predicate:
    return lambda row: first(row) or second(row)


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda row: first(row) and second(row)


def _sort_key(name: str, spec: FieldSpec) -> Callable[[dict[str, Any]], Any]:
    return lambda row: _comparable(spec, row[name])


def _check_type(spec: FieldSpec, literal: Literal) -> None:
    wanted = {"datetime": "datetime", "date": "date", "boolean": "boolean"}.get(spec.type, "string")
    if literal.kind in {"null", wanted}:
        return
    quoted = " and should not be enclosed in quotes" if wanted != "string" else ""
    raise SoqlError(
        "INVALID_FIELD",
        f"value of filter criterion for field must be of type {spec.type}{quoted}",
    )


def _comparable(spec: FieldSpec, value: Any) -> Any:
    """A record's (or literal's) value in the form SOQL compares it in."""
    if value is None:
        return None
    if spec.type == "datetime":
        return value if isinstance(value, datetime) else parse_salesforce_datetime(value)
    if spec.type == "date":
        return value if isinstance(value, date) else date.fromisoformat(value)
    if spec.type in {"id", "reference", "boolean"}:
        return value
    return str(value).lower()  # text comparisons in SOQL ignore case


def _comparison(
    name: str, spec: FieldSpec, operator: str, literal: Literal
) -> Callable[[dict[str, Any]], bool]:
    wanted = _comparable(spec, literal.value)

    def compare(row: dict[str, Any]) -> bool:
        value = _comparable(spec, row.get(name))
        if operator == "=":
            return value == wanted
        if operator in {"!=", "<>"}:
            return value != wanted
        if value is None or wanted is None:
            return False
        return {
            "<": value < wanted,
            "<=": value <= wanted,
            ">": value > wanted,
            ">=": value >= wanted,
        }[operator]

    return compare


def parse_salesforce_datetime(value: str) -> datetime:
    """``2026-11-01T10:00:00.000+0000``, as the API writes dateTime values."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")


def salesforce_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}+0000"
    )


def _sorted(rows: list[dict[str, Any]], query: Query, fields: dict[str, FieldSpec]) -> list:
    # Stable sorts from the last key to the first give the multi-key order.
    for name, descending, nulls_last in reversed(query.order):
        spec = fields[name]
        present = [r for r in rows if r.get(name) is not None]
        absent = [r for r in rows if r.get(name) is None]
        present.sort(key=_sort_key(name, spec), reverse=descending)
        rows = present + absent if nulls_last else absent + present
    return rows


# --- The server ---------------------------------------------------------------------------


def _error(status: int, code: str, message: str) -> Response:
    body = json.dumps([{"message": message, "errorCode": code}])
    return Response(body, status, content_type="application/json")


class SalesforceStandIn(StandIn):
    client_id, client_secret = "frontline-app", "s3cret"
    version = "60.0"
    daily_limit = 15000

    def __init__(
        self,
        server: HTTPServer,
        batch_size: int = 2000,
        org: dict[str, dict[str, FieldSpec]] | None = None,
    ) -> None:
        super().__init__(server)
        self.batch_size = batch_size
        self.org = org if org is not None else rich_org()
        self.records: dict[str, list[dict[str, Any]]] = {name: [] for name in self.org}
        self.tokens: list[str] = []
        self.expire_next_call = False
        self.errors: list[tuple[int, str, str]] = []  # answered, in turn, to API calls
        self.api_usage = 0
        self.soql: list[str] = []
        # A long-running transaction: when it started, and what it saves (invisible until
        # commit_transaction, though stamped with the moment each record was saved).
        self.transaction_started: str | None = None
        self.uncommitted: dict[str, list[dict[str, Any]]] = {name: [] for name in self.org}
        self._locators: dict[str, tuple[str, list[dict[str, Any]]]] = {}
        api = r"/services/data/v(?P<version>\d+\.\d)"
        server.expect_request("/services/oauth2/token", method="POST").respond_with_handler(
            self._answer(self._token)
        )
        routes: list[tuple[str, str, Callable[[Request], Response]]] = [
            (rf"{api}/sobjects/\w+/describe/?", "GET", self._describe),
            (rf"{api}/sobjects/\w+/updated/?", "GET", self._updated),
            (rf"{api}/(query|queryAll)/?", "GET", self._query),
            (rf"{api}/(query|queryAll)/[\w-]+", "GET", self._more),
            (rf"{api}/sobjects/\w+/\w+/[^/]+", "PATCH", self._upsert),
        ]
        for pattern, method, handler in routes:
            server.expect_request(re.compile(pattern + "$"), method=method).respond_with_handler(
                self._answer(self._api(handler))
            )

    @property
    def base_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    @property
    def api(self) -> str:
        return f"/services/data/v{self.version}"

    # --- Test controls ------------------------------------------------------------------

    def expire_locators(self) -> None:
        """Every open query locator times out (as after 15 minutes without use)."""
        self._locators.clear()

    def fail_next(self, status: int, code: str, message: str, times: int = 1) -> None:
        """Answer the next ``times`` API calls with this error (after authentication)."""
        self.errors.extend([(status, code, message)] * times)

    def exceed_request_limit(self, times: int = 1) -> None:
        self.fail_next(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", times)

    def begin_transaction(self, started: str) -> None:
        self.transaction_started = started

    def commit_transaction(self) -> None:
        for sobject, rows in self.uncommitted.items():
            self.records[sobject].extend(rows)
            rows.clear()
        self.transaction_started = None

    def delete(self, sobject: str, record_id: str, stamp: str) -> None:
        """Into the recycle bin: only queryAll sees it now, with IsDeleted true."""
        for record in self.records[sobject]:
            if record["Id"] == record_id:
                record.update(IsDeleted=True, SystemModstamp=stamp)

    # --- Plumbing -----------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        form = request.form
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
            "client_credentials",
            self.client_id,
            self.client_secret,
        ):
            body = {"error": "invalid_client", "error_description": "invalid client credentials"}
            return Response(json.dumps(body), 400, content_type="application/json")
        token = f"00D-token-{len(self.tokens)}"
        self.tokens.append(token)
        body = {"access_token": token, "instance_url": self.base_url, "token_type": "Bearer"}
        return Response(json.dumps(body), 200, content_type="application/json")

    def _api(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def answer(request: Request) -> Response:
            if self.expire_next_call:
                self.expire_next_call = False
                self.tokens.append("expired")
            current = f"Bearer {self.tokens[-1]}" if self.tokens else ""
            if request.headers.get("Authorization") != current:
                return _error(401, "INVALID_SESSION_ID", "Session expired or invalid")
            if self.errors:
                return _error(*self.errors.pop(0))
            self.api_usage += 1
            response = handler(request)
            response.headers["Sforce-Limit-Info"] = f"api-usage={self.api_usage}/{self.daily_limit}"
            return response

        return answer

    def _stored(self, sobject: str, row: dict[str, Any]) -> dict[str, Any]:
        """The record as the org holds it: unset checkboxes are false, a Task always has a
        Status ("Not Started" unless set) and IsClosed follows it."""
        stored: dict[str, Any] = {
            name: False for name, spec in self.org[sobject].items() if spec.type == "boolean"
        }
        if sobject == "Task":
            stored["Status"] = "Not Started"
            stored["IsClosed"] = row.get("Status") == "Completed"
        return {**stored, **row}

    def _record(self, sobject: str, row: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        url = f"{self.api}/sobjects/{sobject}/{row['Id']}"
        record: dict[str, Any] = {"attributes": {"type": sobject, "url": url}}
        record.update({name: row.get(name) for name in fields})
        return record

    # --- Resources ----------------------------------------------------------------------

    def _describe(self, request: Request) -> Response:
        sobject = request.path.rstrip("/").split("/")[-2]
        if sobject not in self.org:
            return _error(404, "NOT_FOUND", "The requested resource does not exist")
        fields = [
            {
                "name": name,
                "type": spec.type,
                "nillable": spec.nillable,
                "externalIdField": spec.external_id,
                "createable": spec.createable,
                "updateable": spec.updateable,
                "idLookup": spec.external_id or name == "Id",
            }
            for name, spec in self.org[sobject].items()
        ]
        body = {"name": sobject, "queryable": True, "fields": fields}
        return Response(json.dumps(body), 200, content_type="application/json")

    def _updated(self, request: Request) -> Response:
        """sObject Get Updated: ids changed in [start, end) (seconds ignored) and
        ``latestDateCovered``, held back to the start of a transaction still running."""
        sobject = request.path.rstrip("/").split("/")[-2]
        try:
            start, end = (
                datetime.fromisoformat(request.args[name]).replace(second=0, microsecond=0)
                for name in ("start", "end")
            )
        except (KeyError, ValueError):
            return _error(400, "INVALID_REPLICATION_DATE", "start and end are required")
        if start >= end:
            return _error(400, "INVALID_REPLICATION_DATE", "startDate must precede endDate")
        covered = end
        if self.transaction_started:
            covered = min(end, parse_salesforce_datetime(self.transaction_started))
        ids = [
            r["Id"]
            for r in self.records[sobject]
            if start <= parse_salesforce_datetime(r["SystemModstamp"]) < end
        ]
        body = {"ids": ids, "latestDateCovered": salesforce_datetime(covered)}
        return Response(json.dumps(body), 200, content_type="application/json")

    def _query(self, request: Request) -> Response:
        include_deleted = request.path.rstrip("/").endswith("queryAll")
        soql = request.args.get("q", "")
        self.soql.append(soql)
        try:
            query = Parser(soql, self.org).parse()
        except SoqlError as error:
            return _error(400, error.code, str(error))
        stored = [self._stored(query.sobject, r) for r in self.records[query.sobject]]
        rows = [
            r
            for r in stored
            if (include_deleted or not r["IsDeleted"]) and (query.where is None or query.where(r))
        ]
        rows = _sorted(rows, query, self.org[query.sobject])[: query.limit]
        records = [self._record(query.sobject, r, query.fields) for r in rows]
        return self._batch(records, len(records))

    def _batch(self, records: list[dict[str, Any]], total: int) -> Response:
        first, rest = records[: self.batch_size], records[self.batch_size :]
        body: dict[str, Any] = {"totalSize": total, "done": not rest, "records": first}
        if rest:
            locator = f"01g{len(self.soql):015d}-{total - len(rest)}"
            self._locators[locator] = (locator, rest)
            body["nextRecordsUrl"] = f"{self.api}/query/{locator}"
        return Response(json.dumps(body), 200, content_type="application/json")

    def _more(self, request: Request) -> Response:
        locator = request.path.rsplit("/", 1)[1]
        if locator not in self._locators:
            return _error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        _, rest = self._locators.pop(locator)
        total = int(locator.rsplit("-", 1)[1]) + len(rest)
        return self._batch(rest, total)

    def _upsert(self, request: Request) -> Response:
        *_, sobject, field_name, value = request.path.split("/")
        spec = self.org.get(sobject, {}).get(field_name)
        if spec is None or not spec.external_id:
            return _error(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {field_name}",
            )
        fields = json.loads(request.data)
        unknown = [name for name in fields if name not in self.org[sobject]]
        if unknown:
            return _error(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject")
        now = salesforce_datetime(datetime.now(UTC))
        for record in self.records[sobject]:
            if record.get(field_name) == value and not record.get("IsDeleted"):
                refused = self._not_writable(sobject, fields, "updateable")
                if refused:
                    return refused
                record.update(fields, SystemModstamp=now)
                if float(self.version) < 46:
                    return Response(status=204)
                body = {"id": record["Id"], "success": True, "errors": [], "created": False}
                return Response(json.dumps(body), 200, content_type="application/json")
        refused = self._not_writable(sobject, fields, "createable")
        if refused:
            return refused
        record_id = f"00T{len(self.records[sobject]):015d}"
        self.records[sobject].append(
            {"Id": record_id, field_name: value, "SystemModstamp": now, **fields}
        )
        body = {"id": record_id, "success": True, "errors": [], "created": True}
        return Response(json.dumps(body), 201, content_type="application/json")

    def _not_writable(self, sobject: str, fields: dict[str, Any], kind: str) -> Response | None:
        names = [n for n in fields if not getattr(self.org[sobject][n], kind)]
        if not names:
            return None
        body = [
            {
                "message": f"Unable to create/update fields: {', '.join(names)}. Please check "
                "the security settings of this field and verify that it is read/write for "
                "your profile or permission set.",
                "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
                "fields": names,
            }
        ]
        return Response(json.dumps(body), 400, content_type="application/json")


def salesforce_contact(
    n: int, stamp: str = "2026-11-01T10:00:00.000+0000", **changes: Any
) -> dict[str, Any]:
    contact = {
        "Id": f"003{n:015d}",
        "FirstName": f"Grace{n}",
        "LastName": "Hopper",
        "Email": f"grace{n}@example.com",
        "Phone": f"+4477007{n:05d}",
        "MailingPostalCode": "SW1A 1AA",
        "MailingCountryCode": "GB",
        "SystemModstamp": stamp,
    }
    return {**contact, **changes}
