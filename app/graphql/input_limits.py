"""Every string a client sends is checked at the edge, before any resolver or query runs.

One walk over the arguments of every field of the operation (literals in the document and the
variables they refer to, through input objects and lists) refuses:
- a NUL character or a lone surrogate anywhere in a string (PostgreSQL cannot store either,
  and its error used to come back as the masked "Unexpected error."), and
- a string longer than its maximum: `MAX_LENGTHS` by schema coordinate, `DEFAULT_MAX_LENGTH`
  otherwise; JSON values (traits) are bounded in depth and total size instead.
The maxima are written into the schema's descriptions (`describe_limits`), so the documented
limit and the enforced one are the same number. Errors name the argument or input field.
The walk of a document is computed once and kept with the cached document.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLError,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
    value_from_ast_untyped,
)
from graphql.type.introspection import TypeMetaFieldDef

from app.core.errors import PublicError, PublicErrorCode

DEFAULT_MAX_LENGTH = 200
# JSON values (custom traits): nesting and the characters of all their keys and strings.
MAX_JSON_DEPTH = 16
MAX_JSON_CHARACTERS = 64 * 1024

# Maxima other than the default, by schema coordinate (`Type.field.argument` for an argument,
# `InputType.field` for an input field). Kept in one table so the limits can be read together;
# `describe_limits` refuses a coordinate the schema does not have.
MAX_LENGTHS: Mapping[str, int] = {
    "Query.customer.email": 254,
    "Query.customer.phone": 64,
    "Query.customer.externalReference": 128,
    # A search term is compared with name keys (100 characters) and references (128).
    "Query.customers.search": 100,
    "Query.customerStats.search": 100,
    "Query.wallet.email": 254,
    "Query.wallet.phone": 64,
    "Query.wallet.externalReference": 128,
    "Mutation.customerFindOrCreate.externalReference": 128,
    "Mutation.customerArchive.reason": 500,
    "Mutation.login.email": 254,
    "Mutation.storeCreate.code": 64,
    "PlaceholderValueInput.value": 254,
    "CustomerWhereInput.country": 2,
    "CustomerWhereInput.city": 100,
    "CustomerFieldsInput.email": 254,
    "CustomerFieldsInput.phone": 64,
    "CustomerFieldsInput.externalReference": 128,
    "CustomerFieldsInput.firstName": 100,
    "CustomerFieldsInput.lastName": 100,
    "AddressInput.city": 100,
    "AddressInput.region": 100,
    "AddressInput.postalCode": 20,
    "AddressInput.country": 2,
    "OrderRecordInput.receiptNumber": 64,
    "OrderItemInput.sku": 64,
    "OrderItemInput.category": 100,
    "OrderItemInput.tags": 100,
    "StaffCreateInput.email": 254,
    "OrganizationUpdateInput.defaultRegion": 2,
    "OrganizationUpdateInput.timezone": 64,
    "ImportStartInput.delimiter": 4,
    "ImportStartInput.encoding": 32,
    "ImportColumnMappingInput.column": 100,
    "ImportColumnMappingInput.field": 100,
    "RoadmapItemInput.rationale": 2000,
    "RoadmapItemInput.suggestedSetting": 300,
    "RoadmapItemInput.notes": 2000,
    "RoadmapItemUpdateInput.rationale": 2000,
    "RoadmapItemUpdateInput.suggestedSetting": 300,
    "RoadmapItemUpdateInput.notes": 2000,
    "PrivacyRequestCreateInput.email": 254,
    "PrivacyRequestCreateInput.phone": 64,
    "PrivacyRequestCreateInput.reason": 500,
}

# Scalars whose values are never strings worth checking, or are checked by their own parser.
_SKIPPED_SCALARS = frozenset({"Int", "Float", "Boolean", "Upload"})
_JSON_SCALAR = "JSON"


class InvalidInput(PublicError):
    """A string argument the service will not take; names the argument, never the value."""

    def __init__(self, message: str, field: str, code: PublicErrorCode) -> None:
        super().__init__(message, code)
        self.field = field

    @property
    def extensions(self) -> dict[str, str]:
        return {"code": self.code.value, "field": self.field}


def _refusal(label: str, value: str, max_length: int) -> InvalidInput | None:
    if len(value) > max_length:
        return InvalidInput(
            f"`{label}` is longer than {max_length} characters.",
            label,
            PublicErrorCode.VALUE_TOO_LONG,
        )
    if "\x00" in value:
        return _bad_characters(label)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _bad_characters(label)
    return None


def _bad_characters(label: str) -> InvalidInput:
    return InvalidInput(
        f"`{label}` contains a NUL character or a lone surrogate, which are not allowed.",
        label,
        PublicErrorCode.INVALID_ARGUMENT,
    )


def _json_refusal(label: str, value: Any) -> InvalidInput | None:
    """Walks a JSON value without recursion: its depth is what is being checked."""
    budget = MAX_JSON_CHARACTERS
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return InvalidInput(
                f"`{label}` nests deeper than {MAX_JSON_DEPTH} levels.",
                label,
                PublicErrorCode.VALUE_TOO_LONG,
            )
        strings: list[str] = []
        if isinstance(item, str):
            strings.append(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                strings.append(str(key))
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        for text in strings:
            budget -= len(text)
            if budget < 0:
                return InvalidInput(
                    f"`{label}` holds more than {MAX_JSON_CHARACTERS} characters.",
                    label,
                    PublicErrorCode.VALUE_TOO_LONG,
                )
            refused = _refusal(label, text, MAX_JSON_CHARACTERS)
            if refused is not None:
                return refused
    return None


@dataclass(frozen=True, slots=True)
class _Site:
    """One argument of one field in the document."""

    label: str
    coordinate: str
    type: GraphQLInputType
    value: ValueNode


@dataclass(frozen=True, slots=True)
class ArgumentChecks:
    sites: tuple[_Site, ...]
    defaults: Mapping[str, ValueNode]

    @classmethod
    def of(
        cls, schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
    ) -> ArgumentChecks:
        """The arguments of a document that passed validation."""
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return cls((), {})
        return cls.of_operation(schema, document, operation)

    @classmethod
    def of_operation(
        cls, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
    ) -> ArgumentChecks:
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        root = schema.get_root_type(operation.operation)
        sites: list[_Site] = []
        seen_fragments: set[str] = set()
        stack: list[tuple[GraphQLNamedType | None, SelectionSetNode]] = [
            (root, operation.selection_set)
        ]
        while stack:
            parent, selection_set = stack.pop()
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    field = _field(parent, selection.name.value)
                    if field is None:
                        continue
                    assert parent is not None
                    for argument in selection.arguments or ():
                        definition = field.args.get(argument.name.value)
                        if definition is not None:
                            name = argument.name.value
                            sites.append(
                                _Site(
                                    name,
                                    f"{parent.name}.{selection.name.value}.{name}",
                                    definition.type,
                                    argument.value,
                                )
                            )
                    if selection.selection_set is not None:
                        stack.append((get_named_type(field.type), selection.selection_set))
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    target = schema.get_type(condition.name.value) if condition else parent
                    stack.append((target, selection.selection_set))
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = fragments.get(name)
                    if fragment is not None and name not in seen_fragments:
                        seen_fragments.add(name)
                        target = schema.get_type(fragment.type_condition.name.value)
                        stack.append((target, fragment.selection_set))
        defaults = {
            d.variable.name.value: d.default_value
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        return cls(tuple(sites), defaults)

    def errors(self, variables: Mapping[str, Any] | None) -> list[GraphQLError]:
        values = variables or {}
        found: list[GraphQLError] = []
        for site in self.sites:
            for refused in self._check_node(
                site.value, site.type, site.label, MAX_LENGTHS.get(site.coordinate), values
            ):
                found.append(GraphQLError(str(refused), site.value, original_error=refused))
        return found

    def _check_node(
        self,
        node: ValueNode,
        type_: GraphQLInputType,
        label: str,
        max_length: int | None,
        variables: Mapping[str, Any],
    ) -> Iterator[InvalidInput]:
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in variables:
                yield from _check_value(variables[name], type_, label, max_length)
            elif name in self.defaults:
                yield from self._check_node(
                    self.defaults[name], type_, label, max_length, variables
                )
            return
        if isinstance(type_, GraphQLNonNull):
            yield from self._check_node(node, type_.of_type, label, max_length, variables)
        elif isinstance(type_, GraphQLList):
            items = node.values if isinstance(node, ListValueNode) else (node,)
            for index, item in enumerate(items):
                yield from self._check_node(
                    item, type_.of_type, f"{label}[{index}]", max_length, variables
                )
        elif isinstance(type_, GraphQLInputObjectType):
            if isinstance(node, ObjectValueNode):
                for field_node in node.fields:
                    name = field_node.name.value
                    field = type_.fields.get(name)
                    if field is not None:
                        yield from self._check_node(
                            field_node.value,
                            field.type,
                            f"{label}.{name}",
                            MAX_LENGTHS.get(f"{type_.name}.{name}"),
                            variables,
                        )
        elif isinstance(type_, GraphQLScalarType):
            if type_.name == _JSON_SCALAR:
                value: Any = value_from_ast_untyped(node, dict(variables))
            else:
                value = node.value if isinstance(node, StringValueNode) else None
            refused = _scalar_refusal(type_, label, max_length, value)
            if refused is not None:
                yield refused


def _field(parent: GraphQLNamedType | None, name: str) -> Any:
    if name == "__type":
        return TypeMetaFieldDef
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return parent.fields.get(name)
    return None


def _check_value(
    value: Any, type_: GraphQLInputType, label: str, max_length: int | None
) -> Iterator[InvalidInput]:
    """The same checks on a variable's JSON value (coercion has not run yet)."""
    if value is None:
        return
    if isinstance(type_, GraphQLNonNull):
        yield from _check_value(value, type_.of_type, label, max_length)
    elif isinstance(type_, GraphQLList):
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            yield from _check_value(item, type_.of_type, f"{label}[{index}]", max_length)
    elif isinstance(type_, GraphQLInputObjectType):
        if isinstance(value, dict):
            for name, item in value.items():
                field = type_.fields.get(name)
                if field is not None:
                    yield from _check_value(
                        item,
                        field.type,
                        f"{label}.{name}",
                        MAX_LENGTHS.get(f"{type_.name}.{name}"),
                    )
    elif isinstance(type_, GraphQLScalarType):
        refused = _scalar_refusal(type_, label, max_length, value)
        if refused is not None:
            yield refused


def _scalar_refusal(
    type_: GraphQLScalarType, label: str, max_length: int | None, value: Any
) -> InvalidInput | None:
    if type_.name == _JSON_SCALAR:
        return _json_refusal(label, value)
    if type_.name in _SKIPPED_SCALARS or not isinstance(value, str):
        return None
    return _refusal(label, value, max_length or DEFAULT_MAX_LENGTH)


def _limit_note(max_length: int) -> str:
    return f"At most {max_length} characters."


def describe_limits(schema: GraphQLSchema) -> None:
    """Writes each string argument's and input field's maximum into its description."""
    inputs: dict[str, GraphQLArgument | GraphQLInputField] = {}
    for type_ in schema.type_map.values():
        if type_.name.startswith("__"):
            continue
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                for name, argument in field.args.items():
                    inputs[f"{type_.name}.{field_name}.{name}"] = argument
        elif isinstance(type_, GraphQLInputObjectType):
            for name, input_field in type_.fields.items():
                inputs[f"{type_.name}.{name}"] = input_field
    unknown = sorted(set(MAX_LENGTHS) - set(inputs))
    if unknown:
        raise RuntimeError(f"input limits name coordinates the schema lacks: {unknown}")
    for coordinate, holder in inputs.items():
        note = _note_for(holder.type, coordinate)
        if note:
            holder.description = _joined(holder.description, note)


def _note_for(type_: GraphQLInputType, coordinate: str) -> str | None:
    named = get_named_type(type_)
    if not isinstance(named, GraphQLScalarType) or named.name in _SKIPPED_SCALARS:
        return None
    if named.name == _JSON_SCALAR:
        return (
            f"At most {MAX_JSON_DEPTH} levels deep and {MAX_JSON_CHARACTERS} characters of "
            "keys and strings."
        )
    return _limit_note(MAX_LENGTHS.get(coordinate, DEFAULT_MAX_LENGTH))


def _joined(description: str | None, note: str) -> str:
    if not description:
        return note
    if note in description:
        return description
    separator = " " if description.rstrip().endswith(".") else ". "
    return f"{description.rstrip()}{separator}{note}"
