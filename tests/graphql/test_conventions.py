"""The shape every GraphQL domain follows, checked on the code and the built schema.

`Info` is defined once (app/graphql/context.py); input types live in a domain's inputs.py;
every mutation returns a `Payload` whose `errors` are a domain error type implementing
`UserError`, built by the one converter.
"""

from __future__ import annotations

import ast
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
import strawberry
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema
from strawberry.types.base import StrawberryObjectDefinition

import app.graphql
from app.auth.errors import AccountErrorCode
from app.core.errors import DomainError, FieldError, ValidationFailed
from app.customers.errors import CustomerErrorCode
from app.graphql.customers.mutations import CustomerPayload
from app.graphql.errors import CodedError, code_enum
from app.graphql.payloads import Payload
from app.graphql.schema import Mutation, Query

GRAPHQL_DIR = Path(app.graphql.__file__).parent
# Not a refusal of a mutation but data: the rows of an uploaded file that could not be imported.
ERROR_NAMED_DATA_TYPES = {"ImportRowError"}


SCHEMA = strawberry.Schema(query=Query, mutation=Mutation)


def _graphql_schema() -> GraphQLSchema:
    return SCHEMA._schema


def _modules() -> list[Path]:
    return sorted(GRAPHQL_DIR.rglob("*.py"))


def _is_strawberry_info(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "Info"
        and isinstance(node.value, ast.Name)
        and node.value.id == "strawberry"
    )


def _binds_info(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "Info" and isinstance(node.ctx, ast.Store)
    if isinstance(node, ast.ClassDef):
        return node.name == "Info"
    if isinstance(node, ast.Subscript):
        return _is_strawberry_info(node.value)
    if isinstance(node, ast.ImportFrom) and node.module != "app.graphql.context":
        return any("Info" in (alias.name, alias.asname) for alias in node.names)
    return False


def _info_definitions(tree: ast.Module) -> list[int]:
    """Lines that bind the name `Info`, import it from elsewhere or spell `strawberry.Info[...]`."""
    nodes = [node for node in ast.walk(tree) if isinstance(node, ast.stmt | ast.expr)]
    return sorted(node.lineno for node in nodes if _binds_info(node))


def _declares_input(node: ast.AST) -> bool:
    if not isinstance(node, ast.ClassDef):
        return False
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr == "input":
            return True
    return False


def _unwrap(kind: Any) -> Any:
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        kind = kind.of_type
    return kind


def _payload_types() -> list[GraphQLObjectType]:
    mutation = _graphql_schema().mutation_type
    assert mutation is not None
    return [_unwrap(field.type) for field in mutation.fields.values()]


def _origin(kind: GraphQLObjectType) -> type[Any]:
    definition = kind.extensions["strawberry-definition"]
    assert isinstance(definition, StrawberryObjectDefinition)
    return definition.origin


class TestInfo:
    def test_only_context_defines_info(self) -> None:
        offenders = {
            str(path.relative_to(GRAPHQL_DIR)): lines
            for path in _modules()
            if path.name != "context.py"
            and (lines := _info_definitions(ast.parse(path.read_text(), str(path))))
        }
        assert offenders == {}

    def test_the_check_sees_a_redefinition(self) -> None:
        for source in (
            "Info = strawberry.Info[Context, None]",
            "def f(info: strawberry.Info[Context, None]) -> None: ...",
            "from strawberry import Info",
        ):
            assert _info_definitions(ast.parse(source)) != [], source
        assert _info_definitions(ast.parse("from app.graphql.context import Info")) == []


class TestInputs:
    def test_input_classes_are_declared_in_inputs_modules(self) -> None:
        misplaced = sorted(
            f"{path.relative_to(GRAPHQL_DIR)}:{node.name}"
            for path in _modules()
            if path.name != "inputs.py"
            for node in ast.walk(ast.parse(path.read_text(), str(path)))
            if isinstance(node, ast.ClassDef) and _declares_input(node)
        )
        assert misplaced == []

    def test_every_input_type_lives_in_an_inputs_module(self) -> None:
        misplaced = sorted(
            f"{concrete.definition.name} ({concrete.definition.origin.__module__})"
            for concrete in SCHEMA.schema_converter.type_map.values()
            if isinstance(concrete.definition, StrawberryObjectDefinition)
            and concrete.definition.is_input
            and not concrete.definition.origin.__module__.endswith(".inputs")
        )
        assert misplaced == []


class TestErrorTypes:
    def test_every_error_type_implements_user_error(self) -> None:
        schema = _graphql_schema()
        user_error = schema.type_map["UserError"]
        outside = sorted(
            name
            for name, kind in schema.type_map.items()
            if isinstance(kind, GraphQLObjectType)
            and name.endswith("Error")
            and name not in ERROR_NAMED_DATA_TYPES
            and user_error not in kind.interfaces
        )
        assert outside == []

    def test_every_mutation_returns_a_payload_with_domain_errors(self) -> None:
        user_error = _graphql_schema().type_map["UserError"]
        for payload in _payload_types():
            assert issubclass(_origin(payload), Payload), payload.name
            errors = payload.fields["errors"].type
            # [XError!]! : the list and its items are never null.
            assert isinstance(errors, GraphQLNonNull), payload.name
            assert isinstance(errors.of_type, GraphQLList), payload.name
            assert isinstance(errors.of_type.of_type, GraphQLNonNull), payload.name
            item = _unwrap(errors)
            assert user_error in item.interfaces, payload.name
            assert issubclass(_origin(item), CodedError), item.name
            assert list(payload.fields)[-1] == "errors", payload.name

    def test_error_codes_are_the_domain_enums(self) -> None:
        for payload in _payload_types():
            item = _unwrap(payload.fields["errors"].type)
            codes = code_enum(_origin(item))
            assert "INVALID" in codes.__members__, item.name
            code_type = _unwrap(item.fields["code"].type)
            assert set(code_type.values) == set(codes.__members__), item.name


def _empty(value: object) -> bool:
    return value in (None, [], False, 0)


class TestFailedPayload:
    @pytest.mark.parametrize("payload", _payload_types(), ids=lambda p: p.name)
    def test_a_refusal_gives_empty_data_and_converted_errors(
        self, payload: GraphQLObjectType
    ) -> None:
        cls = _origin(payload)
        assert issubclass(cls, Payload)
        item = _origin(_unwrap(payload.fields["errors"].type))
        codes: type[StrEnum] = code_enum(item)
        own = next(c for c in codes if c.value != "INVALID")
        foreign = next(
            c
            for c in (CustomerErrorCode.INVALID_EMAIL, AccountErrorCode.LAST_OWNER)
            if not isinstance(c, codes)
        )
        result = cls.failed(
            ValidationFailed(
                [
                    FieldError(own, "first", "email"),
                    FieldError(foreign, "second"),
                ]
            )
        )
        assert isinstance(result, cls)
        errors = result.errors  # type: ignore[attr-defined]
        assert [(type(e), e.field, e.message, e.code) for e in errors] == [
            (item, "email", "first", own),
            # A code from another domain shows as this domain's INVALID.
            (item, None, "second", codes("INVALID")),
        ]
        data = {
            name: getattr(result, python_name)
            for name, python_name in _python_names(cls).items()
            if name != "errors"
        }
        assert all(_empty(value) for value in data.values()), data

    def test_a_success_has_no_errors(self) -> None:
        for payload in _payload_types():
            cls = _origin(payload)
            assert cls().errors == [], payload.name

    def test_a_single_domain_error_keeps_its_code(self) -> None:
        result = CustomerPayload.failed(
            DomainError(CustomerErrorCode.DUPLICATE_EMAIL, "Taken.", "email")
        )
        assert result.customer is None
        assert [(e.field, e.code) for e in result.errors] == [
            ("email", CustomerErrorCode.DUPLICATE_EMAIL)
        ]


def _python_names(cls: type[Any]) -> dict[str, str]:
    definition = cls.__strawberry_definition__
    return {field.graphql_name or field.name: field.python_name for field in definition.fields}
