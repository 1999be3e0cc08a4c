"""Compiling a validated query document into a plan that runs without graphql-core's executor.

What compiles (everything else raises `Unsupported` and is left to strawberry):
- exactly one operation, a query, without directives, fragments or fragment spreads;
- at its root, one field of `ROOT_FIELDS` (aliased or not; repeated with the same key, it is
  merged as the executor merges it), beside any number of `__typename`; its arguments are
  coerced by graphql-core and converted by strawberry's own `convert_arguments`, as the
  resolver gets them;
- below it, fields without arguments whose value is an attribute of the object, or a plain
  synchronous resolver of that object alone, of a scalar, enum, object type or a list of
  non-null objects (a connection's edges), recursively; aliases and `__typename` anywhere.

The plan keeps graphql-core's semantics where they can show: variables are coerced and
arguments read by graphql-core's own functions (same values, same error messages), a resolver
error becomes the same located error, and scalars go through the schema's own `serialize`.
What the plan does not reproduce (a non-null field without a value, a value `serialize`
refuses) raises `Bailout` and the request is answered by strawberry from the start.
"""

from __future__ import annotations

import dataclasses
import inspect
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    get_nullable_type,
    is_non_null_type,
    located_error,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionResult
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from app.graphql.context import Context
from app.graphql.input_limits import ArgumentChecks
from app.graphql.persisted.operations import RootField

# graphql-core's default (`Executor.build`): the same bad variables give the same errors.
MAX_COERCION_ERRORS = 50
# Strawberry hands these to resolvers as they come (no input conversion to redo).
PASS_THROUGH_ARGUMENTS = frozenset({"String", "ID"})
TYPENAME = "__typename"


class Unsupported(Exception):
    """A valid document outside what the compiler serves; strawberry runs it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Bailout(Exception):
    """A value needs graphql-core's own error handling: strawberry answers the request."""


@dataclass(frozen=True, slots=True)
class _Variable:
    """Stands for a variable's value while the arguments are computed at compile time."""

    name: str


@dataclass(frozen=True, slots=True)
class FieldPlan:
    key: str
    # None for `__typename`, which answers `typename`.
    resolve: Callable[[Any], Any] | None
    typename: str | None = None
    serialize: Callable[[Any], Any] | None = None
    children: ObjectPlan | None = None
    non_null: bool = False
    # A list of objects, each completed by `children`.
    is_list: bool = False


@dataclass(frozen=True, slots=True)
class ObjectPlan:
    origin: type
    fields: tuple[FieldPlan, ...]

    def complete(self, source: Any) -> dict[str, Any]:
        if not isinstance(source, self.origin):
            raise Bailout
        out: dict[str, Any] = {}
        for field in self.fields:
            if field.resolve is None:
                out[field.key] = field.typename
                continue
            value = field.resolve(source)
            if value is None:
                if field.non_null:
                    raise Bailout
                out[field.key] = None
            elif field.is_list:
                assert field.children is not None
                if type(value) is not list:
                    raise Bailout
                complete = field.children.complete
                out[field.key] = [complete(item) for item in value]
            elif field.children is not None:
                out[field.key] = field.children.complete(value)
            else:
                assert field.serialize is not None
                serialized = field.serialize(value)
                if serialized is None:
                    raise Bailout
                out[field.key] = serialized
        return out


@dataclass(frozen=True, slots=True)
class CompiledOperation:
    name: str | None
    schema: GraphQLSchema
    variable_definitions: tuple[VariableDefinitionNode, ...]
    root: RootField
    root_key: str
    root_nodes: tuple[FieldNode, ...]
    root_definition: GraphQLField
    # GraphQL argument name -> the resolver's parameter name.
    argument_names: Mapping[str, str]
    # The root selection in order: (response key, the `__typename` answer or None for the
    # compiled root field).
    selection: tuple[tuple[str, str | None], ...]
    plan: ObjectPlan
    # When every variable is a String or ID without a default, the common request (each one
    # given as a JSON string) needs no coercion: `string_arguments` is what graphql-core's
    # `get_argument_values` returns with each variable's value in place of its `_Variable`.
    string_variables: tuple[str, ...] | None = None
    string_arguments: Mapping[str, Any] | None = None
    # The string checks every operation gets (app.graphql.input_limits).
    argument_checks: ArgumentChecks | None = None
    # A non-null root field: an error there leaves `data` null, as graphql-core does.
    root_non_null: bool = False
    # Arguments of other types than String and ID (input objects, enums, numbers) go through
    # strawberry's `convert_arguments`, as for the resolver: (its arguments, the schema's
    # scalar registry and config).
    conversion: tuple[Any, Any, Any] | None = None

    def _arguments(self, variables: VariableValues | None) -> dict[str, Any]:
        node = self.root_nodes[0]
        if not (self.root_definition.args or node.arguments):
            return {}
        arguments = get_argument_values(self.root_definition, node, variables)
        if self.conversion is not None:
            strawberry_arguments, scalar_registry, config = self.conversion
            converted: dict[str, Any] = convert_arguments(
                arguments, strawberry_arguments, scalar_registry=scalar_registry, config=config
            )
            return converted
        return {self.argument_names[k]: v for k, v in arguments.items()}

    def _string_arguments(self, raw_variables: dict[str, Any]) -> dict[str, Any] | None:
        if self.string_variables is None or self.string_arguments is None:
            return None
        values: dict[str, str] = {}
        for name in self.string_variables:
            value = raw_variables.get(name)
            if type(value) is not str:
                return None
            values[name] = value
        return {
            key: values[value.name] if type(value) is _Variable else value
            for key, value in self.string_arguments.items()
        }

    async def execute(self, context: Context, raw_variables: dict[str, Any]) -> ExecutionResult:
        """Errors come back unmasked, as graphql-core's executor leaves them."""
        errors: list[GraphQLError] | None = None
        value: dict[str, Any] | None = None
        if self.argument_checks is not None:
            refused = self.argument_checks.errors(raw_variables)
            if refused:
                return ExecutionResult(data=None, errors=refused)
        arguments = self._string_arguments(raw_variables)
        variables: VariableValues | None = None
        if arguments is None:
            try:
                coerced = get_variable_values(
                    self.schema,
                    self.variable_definitions,
                    raw_variables,
                    max_errors=MAX_COERCION_ERRORS,
                )
            except Exception as exc:
                # Outside any field in graphql-core too: strawberry reports it its own way.
                raise Bailout from exc
            if isinstance(coerced, list):
                return ExecutionResult(data=None, errors=coerced)
            variables = coerced
        try:
            if arguments is None:
                arguments = self._arguments(variables)
            resolved = await self.root(context, arguments)
        except Exception as exc:
            errors = [located_error(exc, list(self.root_nodes), [self.root_key])]
            if self.root_non_null:
                # The null propagates to the whole `data`.
                return ExecutionResult(data=None, errors=errors)
        else:
            if resolved is None and self.root_non_null:
                raise Bailout
            if resolved is not None:
                try:
                    value = self.plan.complete(resolved)
                except Bailout:
                    raise
                except Exception as exc:
                    raise Bailout from exc
        data = {key: value if answer is None else answer for key, answer in self.selection}
        return ExecutionResult(data=data, errors=errors)


def compile_operation(
    schema: strawberry.Schema, document: DocumentNode, roots: Iterable[RootField]
) -> CompiledOperation:
    """The plan of a document that already passed validation; `Unsupported` otherwise."""
    graphql_schema = schema._schema
    if len(document.definitions) != 1:
        raise Unsupported("not exactly one definition")
    operation = document.definitions[0]
    if not isinstance(operation, OperationDefinitionNode):
        raise Unsupported("not an operation")
    if operation.operation is not OperationType.QUERY:
        raise Unsupported("not a query")
    variable_definitions = tuple(operation.variable_definitions or ())
    if operation.directives or any(v.directives for v in variable_definitions):
        raise Unsupported("directives")
    query_type = graphql_schema.query_type
    assert query_type is not None
    served = {r.name: r for r in roots if r.parent == query_type.name}

    selection: list[tuple[str, str | None]] = []
    root_group: tuple[str, list[FieldNode], RootField] | None = None
    for key, nodes in _group([operation.selection_set]).items():
        name = nodes[0].name.value
        if name == TYPENAME:
            selection.append((key, query_type.name))
            continue
        root = served.get(name)
        if root is None:
            raise Unsupported(f"root field {name}")
        if root_group is not None:
            raise Unsupported("more than one root field")
        root_group = (key, nodes, root)
        selection.append((key, None))
    if root_group is None:
        raise Unsupported("no compiled root field")
    root_key, root_nodes, root = root_group

    definition = query_type.fields[root.name]
    object_type = get_nullable_type(definition.type)
    if not isinstance(object_type, GraphQLObjectType):
        raise Unsupported(f"{root.name} is not an object")
    argument_names = root_arguments(schema, root)
    conversion = None
    if not all(_passes_through(argument.type) for argument in definition.args.values()):
        field = _strawberry_field(schema, root.parent, root.name)
        conversion = (field.arguments, schema.schema_converter.scalar_registry, schema.config)
    # The shortcut for string variables hands values over unconverted: only when nothing
    # needs converting.
    string_variables = (
        _string_variables(graphql_schema, variable_definitions) if conversion is None else None
    )

    operation_plan = CompiledOperation(
        name=operation.name.value if operation.name else None,
        schema=graphql_schema,
        variable_definitions=variable_definitions,
        root=root,
        root_key=root_key,
        root_nodes=tuple(root_nodes),
        root_definition=definition,
        argument_names=argument_names,
        selection=tuple(selection),
        plan=_plan_object(schema, object_type, _selection_sets(root_nodes)),
        string_variables=string_variables,
        argument_checks=ArgumentChecks.of_operation(graphql_schema, document, operation),
        root_non_null=is_non_null_type(definition.type),
        conversion=conversion,
    )
    if string_variables is None:
        return operation_plan
    stand_ins = VariableValues({}, {name: _Variable(name) for name in string_variables})
    try:
        string_arguments = operation_plan._arguments(stand_ins)
    except GraphQLError:
        return operation_plan
    return dataclasses.replace(operation_plan, string_arguments=string_arguments)


def _passes_through(argument_type: Any) -> bool:
    """A String or ID argument: strawberry hands it to the resolver as graphql-core gives it."""
    named = get_nullable_type(argument_type)
    return isinstance(named, GraphQLScalarType) and named.name in PASS_THROUGH_ARGUMENTS


def _string_variables(
    schema: GraphQLSchema, definitions: Sequence[VariableDefinitionNode]
) -> tuple[str, ...] | None:
    """The names of the variables, if each is a String or ID without a default value: those
    a JSON string gives as they are (graphql-core's `coerce_string` and `coerce_id`)."""
    names: list[str] = []
    for definition in definitions:
        type_node = definition.type
        if isinstance(type_node, NonNullTypeNode):
            type_node = type_node.type
        if (
            not isinstance(type_node, NamedTypeNode)
            or definition.default_value is not None
            or schema.get_type(type_node.name.value) not in (GraphQLString, GraphQLID)
        ):
            return None
        names.append(definition.variable.name.value)
    return tuple(names)


def root_arguments(schema: strawberry.Schema, root: RootField) -> dict[str, str]:
    """GraphQL argument name -> parameter name, checked against the function the compiled
    path calls: it must take exactly the resolver's arguments, after the context."""
    field = _strawberry_field(schema, root.parent, root.name)
    if field.extensions:
        raise Unsupported(f"{root.name} has field extensions")
    names = {
        schema.config.name_converter.get_graphql_name(argument): argument.python_name
        for argument in field.arguments
    }
    parameters = list(inspect.signature(root.resolve).parameters.values())[1:]
    keyword_only = {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}
    if keyword_only != set(names.values()) or len(parameters) != len(keyword_only):
        raise Unsupported(f"{root.name}: the resolver and {root.resolve.__name__} differ")
    return names


def _strawberry_field(schema: strawberry.Schema, type_name: str, name: str) -> StrawberryField:
    field = schema.get_field_for_type(name, type_name)
    if field is None:
        raise Unsupported(f"{type_name}.{name} is not a strawberry field")
    return field


def _group(selection_sets: Sequence[SelectionSetNode]) -> dict[str, list[FieldNode]]:
    """Fields by response key, in first-seen order (graphql-core's field collection, for
    documents without fragments or directives)."""
    groups: dict[str, list[FieldNode]] = {}
    for selection_set in selection_sets:
        for selection in selection_set.selections:
            if not isinstance(selection, FieldNode):
                raise Unsupported("fragments")
            if selection.directives:
                raise Unsupported("directives")
            key = selection.alias.value if selection.alias else selection.name.value
            groups.setdefault(key, []).append(selection)
    return groups


def _selection_sets(nodes: Sequence[FieldNode]) -> list[SelectionSetNode]:
    sets = [node.selection_set for node in nodes if node.selection_set is not None]
    if len(sets) != len(nodes):
        raise Unsupported("object field without selection")
    return sets


def _resolver(schema: strawberry.Schema, field: StrawberryField) -> Callable[[Any], Any]:
    """How strawberry reads this field from its object, when no Info is involved."""
    if field.extensions:
        raise Unsupported(f"{field.python_name} has field extensions")
    resolver = field.base_resolver
    if resolver is None:
        default = schema.config.default_resolver
        if default is getattr:
            return operator.attrgetter(field.python_name)
        name = field.python_name
        return lambda source: default(source, name)
    if (
        field.is_async
        or resolver.arguments
        or resolver.info_parameter is not None
        or resolver.root_parameter is not None
        or resolver.parent_parameter is not None
        or inspect.isgeneratorfunction(resolver.wrapped_func)
    ):
        raise Unsupported(f"{field.python_name} has a resolver that needs more than its object")
    if resolver.self_parameter is not None:
        return resolver
    return lambda source: resolver()


def _plan_object(
    schema: strawberry.Schema,
    object_type: GraphQLObjectType,
    selection_sets: list[SelectionSetNode],
) -> ObjectPlan:
    definition = object_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryObjectDefinition) or object_type.is_type_of:
        raise Unsupported(f"{object_type.name} is not a plain strawberry type")
    origin = _instance_class(definition)
    fields: list[FieldPlan] = []
    for key, nodes in _group(selection_sets).items():
        name = nodes[0].name.value
        if name == TYPENAME:
            fields.append(FieldPlan(key, None, typename=object_type.name))
            continue
        field_definition = object_type.fields[name]
        if field_definition.args or any(node.arguments for node in nodes):
            raise Unsupported(f"{object_type.name}.{name} takes arguments")
        resolve = _resolver(schema, _strawberry_field(schema, object_type.name, name))
        non_null = is_non_null_type(field_definition.type)
        field_type = get_nullable_type(field_definition.type)
        if isinstance(field_type, GraphQLScalarType | GraphQLEnumType):
            fields.append(
                FieldPlan(key, resolve, serialize=field_type.serialize, non_null=non_null)
            )
        elif isinstance(field_type, GraphQLObjectType):
            children = _plan_object(schema, field_type, _selection_sets(nodes))
            fields.append(FieldPlan(key, resolve, children=children, non_null=non_null))
        elif isinstance(field_type, GraphQLList) and _is_non_null_object(field_type.of_type):
            children = _plan_object(schema, _item_object_type(field_type), _selection_sets(nodes))
            fields.append(
                FieldPlan(key, resolve, children=children, non_null=non_null, is_list=True)
            )
        else:
            raise Unsupported(f"{object_type.name}.{name} is a list of that kind or abstract")
    return ObjectPlan(origin, tuple(fields))


def _item_object_type(list_type: GraphQLList[Any]) -> GraphQLObjectType:
    item_type: Any = get_nullable_type(list_type.of_type)
    if not isinstance(item_type, GraphQLObjectType):
        raise Unsupported(f"a list of {item_type}")
    return item_type


def _is_non_null_object(item_type: Any) -> bool:
    return is_non_null_type(item_type) and isinstance(
        get_nullable_type(item_type), GraphQLObjectType
    )


def _instance_class(definition: StrawberryObjectDefinition) -> type:
    """The class of the objects resolvers return for this type. A generic type used with a
    type argument (`Connection[CustomerType]`, GraphQL's `CustomerConnection`) is a subclass
    strawberry makes, while resolvers return the generic class's objects; the type argument
    is checked where it is used (each node against its own plan)."""
    origin = definition.origin
    bases = origin.__bases__
    base_definition = getattr(bases[0], "__strawberry_definition__", None) if bases else None
    if isinstance(base_definition, StrawberryObjectDefinition) and (
        base_definition.is_graphql_generic
    ):
        generic: type = bases[0]
        return generic
    return origin
