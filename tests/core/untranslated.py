"""Find words meant for staff that reach them without passing through gettext.

The messages staff read come from a few kinds of places: Django's messages framework, the
refusals views and APIs raise (validation errors, 404s, permission refusals, the domains' own
refusal exceptions), a form's ``add_error``, and the ``detail`` of an API answer. This module
reads the source of the ``frontline`` package with Python's ``ast`` and lists every string
literal, f-string or ``"..." % ...`` that is handed to one of them directly, or through a
module-level constant, instead of through ``gettext`` / ``gettext_lazy`` / ``ngettext``.

What it cannot see (a message built in a helper and passed on in a variable) stays the job
of review; what it sees, it sees in every file, so a new view cannot bring an English-only
message back.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework.exceptions import APIException

from frontline.appointments.services import ChangeRefused, SlotTaken
from frontline.catalog.services import CatalogError
from frontline.customers.services import MergeRefused
from frontline.outreach.rules import Refusal
from frontline.privacy.services import ErasureRefused
from frontline.tablet.idempotency import KeyRefused
from frontline.tablet.services import UnlockRefused

# Exceptions whose message is shown to the person whose request was refused.
REFUSALS: tuple[type[BaseException], ...] = (
    DjangoValidationError,
    Http404,
    PermissionDenied,
    APIException,
    CatalogError,
    ChangeRefused,
    ErasureRefused,
    KeyRefused,
    MergeRefused,
    Refusal,
    SlotTaken,
    UnlockRefused,
)
# The parameters through which a function or class receives words to show: a refusal's
# message, a helper's ``error`` or ``detail`` (``not_found(message)``, ``page(error=...)``).
# (A ``detail`` is a refusal's message, but elsewhere an audit record's words: stored, not shown.)
MESSAGE_PARAMETERS = ("message", "messages", "error")
# What a form field shows: its label, help and error messages.
FORM_FIELD_WORDS = ("label", "help_text", "error_messages", "empty_label")
REFUSAL_PARAMETERS = ("message", "detail", "messages")
# Callables whose messages reach people: ours and the frameworks'; a library's exception
# (httpx.HTTPStatusError) is for the logs.
OUR_PACKAGES = ("frontline", "django", "rest_framework")
TRANSLATING = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext"}
TRANSLATING |= {"pgettext_lazy", "npgettext", "npgettext_lazy", "format_lazy", "gettext_noop"}
MESSAGE_LEVELS = {"debug", "info", "success", "warning", "error"}
# Answers whose body is read by people: {"detail": ...} and the shared error body.
BODY_BUILDERS = {"Response", "JsonResponse"}
EXCLUDED_PARTS = {"migrations", "demo"}


@dataclass(frozen=True)
class Untranslated:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


def python_files(package: Path) -> Iterator[Path]:
    for path in sorted(package.rglob("*.py")):
        if not EXCLUDED_PARTS & set(path.relative_to(package).parts):
            yield path


def module_name(path: Path, root: Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts)


def untranslated_messages(package: Path) -> list[Untranslated]:
    root = package.parent
    found: list[Untranslated] = []
    for path in python_files(package):
        module = importlib.import_module(module_name(path, root))
        tree = ast.parse(path.read_text(), filename=str(path))
        found += _Scanner(module, tree, str(path.relative_to(root))).scan()
    return found


class _Scanner:
    def __init__(self, module: ModuleType, tree: ast.Module, path: str) -> None:
        self.module = module
        self.tree = tree
        self.path = path
        self.constants = _module_string_constants(tree)

    def scan(self) -> list[Untranslated]:
        found: list[Untranslated] = []
        for node in ast.walk(self.tree):
            for expression in self._messages_in(node):
                found += [
                    Untranslated(self.path, literal.lineno, ast.unparse(literal))
                    for literal in self._literals(expression)
                ]
        return found

    # --- Where messages go ---------------------------------------------------------------

    def _messages_in(self, node: ast.AST) -> list[ast.expr]:
        if isinstance(node, ast.Call):
            return self._call_messages(node)
        if isinstance(node, ast.ClassDef):
            return self._default_details(node)
        return []

    def _call_messages(self, call: ast.Call) -> list[ast.expr]:
        name = _called_name(call)
        if name in TRANSLATING:
            return []
        if isinstance(call.func, ast.Attribute) and _is_name(call.func.value, "messages"):
            if name in MESSAGE_LEVELS:
                return _argument(call, 1, "message")
            if name == "add_message":
                return _argument(call, 2, "message")
        if name == "add_error":
            return _argument(call, 1, "error")
        if name == "error_body":
            return _argument(call, 0, "detail")
        if name in BODY_BUILDERS and call.args and isinstance(call.args[0], ast.Dict):
            return _dict_values(call.args[0], "detail")
        called = _resolve(self.module, call.func)
        if inspect.isclass(called) and issubclass(called, forms.Field):
            return [k.value for k in call.keywords if k.arg in FORM_FIELD_WORDS]
        if self._refusal_class(call.func) is not None:
            # Http404(...) has Exception's signature: its message comes first.
            where = _message_parameter(called, REFUSAL_PARAMETERS) or (0, "message")
        elif callable(called) and _is_ours(called):
            where = _message_parameter(called, MESSAGE_PARAMETERS)
        else:
            where = None
        return _argument(call, *where) if where is not None else []

    def _default_details(self, definition: ast.ClassDef) -> list[ast.expr]:
        refusal = getattr(self.module, definition.name, None)
        if not (inspect.isclass(refusal) and issubclass(refusal, REFUSALS)):
            return []
        return [
            statement.value
            for statement in definition.body
            if isinstance(statement, ast.Assign)
            and any(_is_name(target, "default_detail") for target in statement.targets)
        ]

    def _refusal_class(self, function: ast.expr) -> type[BaseException] | None:
        found = _resolve(self.module, function)
        if inspect.isclass(found) and issubclass(found, REFUSALS):
            return found
        return None

    # --- What is not translated ----------------------------------------------------------

    def _literals(self, expression: ast.expr) -> Iterator[ast.expr]:
        """The parts of a message expression that are words no gettext call has seen."""
        if isinstance(expression, ast.Constant):
            if isinstance(expression.value, str) and _has_words(expression.value):
                yield expression
        elif isinstance(expression, ast.JoinedStr):
            if any(_has_words(part.value) for part in _constant_parts(expression)):
                yield expression
        elif isinstance(expression, ast.BinOp) and isinstance(expression.op, ast.Mod):
            yield from self._literals(expression.left)
        elif isinstance(expression, (ast.List, ast.Tuple, ast.Set)):
            for element in expression.elts:
                yield from self._literals(element)
        elif isinstance(expression, ast.Dict):
            for value in expression.values:
                yield from self._literals(value)
        elif isinstance(expression, ast.Call):
            yield from self._call_literals(expression)
        elif isinstance(expression, ast.Name) and expression.id in self.constants:
            yield expression
        elif isinstance(expression, ast.IfExp):
            yield from self._literals(expression.body)
            yield from self._literals(expression.orelse)

    def _call_literals(self, call: ast.Call) -> Iterator[ast.expr]:
        name = _called_name(call)
        if name in TRANSLATING:
            return
        if name == "format" and isinstance(call.func, ast.Attribute):
            yield from self._literals(call.func.value)
        elif name == "str" and call.args:
            yield from self._literals(call.args[0])
        elif self._refusal_class(call.func) is not None:
            # A refusal nested in another (ValidationError({"field": ValidationError(...)})):
            # its own message is checked where the inner call is visited.
            return


def _module_string_constants(tree: ast.Module) -> set[str]:
    """Module-level names bound to a plain string with words (``INVALID = "Not valid."``)."""
    names = set()
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
            value = statement.value.value
            if isinstance(value, str) and _has_words(value):
                names |= {t.id for t in statement.targets if isinstance(t, ast.Name)}
    return names


def _constant_parts(expression: ast.JoinedStr) -> list[ast.Constant]:
    return [part for part in expression.values if isinstance(part, ast.Constant)]


def _has_words(text: str) -> bool:
    """Two letters in a row: a word, not a separator or a format (" · ", "%s", "{}")."""
    letters = 0
    for character in text:
        letters = letters + 1 if character.isalpha() else 0
        if letters == 2:
            return True
    return False


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _argument(call: ast.Call, position: int, keyword: str) -> list[ast.expr]:
    found = [argument.value for argument in call.keywords if argument.arg == keyword]
    if len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        found.append(call.args[position])
    return found


def _dict_values(dictionary: ast.Dict, key: str) -> list[ast.expr]:
    return [
        value
        for name, value in zip(dictionary.keys, dictionary.values, strict=True)
        if isinstance(name, ast.Constant) and name.value == key
    ]


def _is_ours(called: Any) -> bool:
    return str(getattr(called, "__module__", "")).startswith(OUR_PACKAGES)


def _message_parameter(called: Any, names: tuple[str, ...]) -> tuple[int, str] | None:
    """Where a function or class takes its message: (position, keyword), if it does."""
    # A class's own __init__: a decorated class (@deconstructible) shows __new__'s *args.
    target = called.__init__ if inspect.isclass(called) else called
    try:
        parameters = [name for name in inspect.signature(target).parameters if name != "self"]
    except (TypeError, ValueError):
        return None
    for name in names:
        if name in parameters:
            return parameters.index(name), name
    return None


def _resolve(module: ModuleType, expression: ast.expr) -> Any:
    """The object a dotted name (``services.NotFound``) is bound to in the module, if any."""
    if isinstance(expression, ast.Name):
        return getattr(module, expression.id, None)
    if isinstance(expression, ast.Attribute):
        owner = _resolve(module, expression.value)
        return getattr(owner, expression.attr, None) if owner is not None else None
    return None
