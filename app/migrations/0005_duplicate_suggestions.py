from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.core.ids import new_id
from app.models.duplicates import PlaceholderKind, PlaceholderSource
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_staff_email_per_organization')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DismissedDuplicatePair',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('low_customer_id', fields.UUIDField()),
                ('high_customer_id', fields.UUIDField()),
                ('dismissed_by_id', fields.UUIDField(null=True)),
                ('dismissed_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'dismissed_duplicate_pair', 'app': 'models', 'unique_together': (('organization', 'low_customer_id', 'high_customer_id'),), 'pk_attr': 'id', 'table_description': 'Two customers staff said are not one person: never suggested together again.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DuplicateSettings',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.OneToOneField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('placeholder_values', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('shared_threshold', fields.IntField(default=5)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('computed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'duplicate_settings', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The placeholder list and sharing threshold of an organization (defaults until edited).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DuplicateSuggestion',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('customer_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('score', fields.FloatField()),
                ('reasons', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('computed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'duplicate_suggestion', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A group of live customers (two or more) that look like one person.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DuplicateSuggestionMember',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('suggestion', fields.ForeignKeyField('models.DuplicateSuggestion', source_field='suggestion_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'duplicate_suggestion_member', 'app': 'models', 'unique_together': (('suggestion', 'customer'),), 'indexes': [Index(fields=['organization_id', 'customer_id'])], 'pk_attr': 'id', 'table_description': 'One customer of a suggestion: finds the suggestions of a customer, drops stale ones.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlaceholderIdentifier',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='EMAIL: EMAIL\nPHONE: PHONE\nEXTERNAL_REFERENCE: EXTERNAL_REFERENCE', enum_type=PlaceholderKind, max_length=24)),
                ('value', fields.CharField(max_length=254)),
                ('customer_count', fields.IntField()),
                ('source', fields.CharEnumField(description='LISTED: LISTED\nSHARED: SHARED', enum_type=PlaceholderSource, max_length=8)),
            ],
            options={'table': 'placeholder_identifier', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A placeholder value the last recompute found among active customers, with its count.'},
            bases=['Model'],
        ),
    ]
