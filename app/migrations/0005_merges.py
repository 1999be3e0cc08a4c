from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.core.ids import new_id
from app.models.audit import ActorKind, AuditAction
from app.models.merge import AliasKind, MergeRole
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_staff_email_per_organization')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CustomerMerge',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('survivor', fields.ForeignKeyField('models.Customer', source_field='survivor_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('merged_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('actor_kind', fields.CharEnumField(description='STAFF: STAFF\nAPI_KEY: API_KEY\nSYSTEM: SYSTEM', enum_type=ActorKind, max_length=16)),
                ('actor_id', fields.UUIDField(null=True)),
                ('field_choices', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('provenance', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('snapshots', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('moved', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('undone_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('undone_by_kind', fields.CharEnumField(null=True, description='STAFF: STAFF\nAPI_KEY: API_KEY\nSYSTEM: SYSTEM', enum_type=ActorKind, max_length=16)),
                ('undone_by_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'customer_merge', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One merge: who was folded into whom, and everything needed to undo it exactly.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerAlias',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='EMAIL: EMAIL\nPHONE: PHONE\nEXTERNAL_REFERENCE: EXTERNAL_REFERENCE', enum_type=AliasKind, max_length=20)),
                ('value', fields.CharField(max_length=254)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('former_customer', fields.ForeignKeyField('models.Customer', source_field='former_customer_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('merge', fields.ForeignKeyField('models.CustomerMerge', source_field='merge_id', db_constraint=True, to_field='id', related_name='aliases', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'customer_alias', 'app': 'models', 'unique_together': (('organization', 'kind', 'value'),), 'indexes': [Index(fields=['merge_id'])], 'pk_attr': 'id', 'table_description': 'An identifier of a merged customer (or one the survivor gave up) while a merge stands.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerMergeMember',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('merge', fields.ForeignKeyField('models.CustomerMerge', source_field='merge_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='SURVIVOR: SURVIVOR\nMERGED: MERGED', enum_type=MergeRole, max_length=8)),
                ('position', fields.SmallIntField()),
            ],
            options={'table': 'customer_merge_member', 'app': 'models', 'unique_together': (('merge', 'customer'),), 'indexes': [Index(fields=['customer_id', 'merge_id'])], 'pk_attr': 'id', 'table_description': "A customer's part in a merge, so history per customer is one indexed lookup."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='AuditEvent',
            name='action',
            field=fields.CharEnumField(description='CUSTOMER_ARCHIVED: CUSTOMER_ARCHIVED\nCUSTOMER_UNARCHIVED: CUSTOMER_UNARCHIVED\nSTAFF_CREATED: STAFF_CREATED\nSTAFF_ROLE_CHANGED: STAFF_ROLE_CHANGED\nSTAFF_DEACTIVATED: STAFF_DEACTIVATED\nLOGIN_THROTTLED: LOGIN_THROTTLED\nAPI_KEY_CREATED: API_KEY_CREATED\nAPI_KEY_REVOKED: API_KEY_REVOKED\nORGANIZATION_CREATED: ORGANIZATION_CREATED\nORGANIZATION_UPDATED: ORGANIZATION_UPDATED\nIMPORT_STARTED: IMPORT_STARTED\nIMPORT_CANCELLED: IMPORT_CANCELLED\nPERSONAS_REGENERATION_REQUESTED: PERSONAS_REGENERATION_REQUESTED\nCUSTOMERS_MERGED: CUSTOMERS_MERGED\nCUSTOMERS_UNMERGED: CUSTOMERS_UNMERGED', enum_type=AuditAction, max_length=40),
        ),
    ]
