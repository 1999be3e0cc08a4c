from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.core.ids import new_id
from app.models.audit import AuditAction
from app.models.imports import ImportKind, ImportStatus
from app.models.persona import PersonaSetStatus, RoadmapItemSource
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_wallets_orders')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ImportJob',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='CUSTOMERS: CUSTOMERS\nORDERS: ORDERS', enum_type=ImportKind, max_length=12)),
                ('status', fields.CharEnumField(default=ImportStatus.QUEUED, description='QUEUED: QUEUED\nRUNNING: RUNNING\nSUCCEEDED: SUCCEEDED\nPARTIAL: PARTIAL\nFAILED: FAILED\nCANCELLED: CANCELLED', enum_type=ImportStatus, max_length=12)),
                ('dry_run', fields.BooleanField(default=False)),
                ('file_path', fields.CharField(max_length=500)),
                ('file_name', fields.CharField(max_length=255)),
                ('file_size', fields.BigIntField(default=0)),
                ('file_sha256', fields.CharField(default='', max_length=64)),
                ('options', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('total_rows', fields.IntField(default=0)),
                ('processed_rows', fields.IntField(default=0)),
                ('created_count', fields.IntField(default=0)),
                ('updated_count', fields.IntField(default=0)),
                ('unchanged_count', fields.IntField(default=0)),
                ('invalid_count', fields.IntField(default=0)),
                ('suppressed_count', fields.IntField(default=0)),
                ('checkpoint_row', fields.IntField(default=0)),
                ('attempts', fields.IntField(default=0)),
                ('cancel_requested', fields.BooleanField(default=False)),
                ('error_code', fields.CharField(null=True, max_length=40)),
                ('error_message', fields.CharField(null=True, max_length=500)),
                ('created_by_id', fields.UUIDField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'import_job', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id'])], 'pk_attr': 'id', 'table_description': "One uploaded file and its processing. The row is the job's intent: a worker that dies"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImportRowError',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job', fields.ForeignKeyField('models.ImportJob', source_field='job_id', db_constraint=True, to_field='id', related_name='row_errors', on_delete=OnDelete.CASCADE)),
                ('row_number', fields.IntField()),
                ('column', fields.CharField(null=True, max_length=100)),
                ('code', fields.CharField(max_length=40)),
                ('message', fields.CharField(max_length=300)),
            ],
            options={'table': 'import_row_error', 'app': 'models', 'indexes': [Index(fields=['job_id', 'row_number'])], 'pk_attr': 'id', 'table_description': 'Why one row of an import was not taken: row number, column, code, message (no values).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PersonaAssignment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('persona_set_id', fields.UUIDField()),
                ('customer_id', fields.UUIDField()),
                ('persona_identity_id', fields.UUIDField()),
            ],
            options={'table': 'persona_assignment', 'app': 'models', 'unique_together': (('persona_set_id', 'customer_id'),), 'indexes': [Index(fields=['persona_set_id', 'persona_identity_id', 'customer_id'])], 'pk_attr': 'id', 'table_description': 'Which persona (identity) each customer belongs to in one set, written in bulk.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PersonaSet',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=PersonaSetStatus.RUNNING, description='RUNNING: RUNNING\nREADY: READY\nFAILED: FAILED', enum_type=PersonaSetStatus, max_length=12)),
                ('is_current', fields.BooleanField(default=False)),
                ('forced', fields.BooleanField(default=False)),
                ('requested_by_id', fields.UUIDField(null=True)),
                ('customer_count', fields.IntField(default=0)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error_code', fields.CharField(null=True, max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('generated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'persona_set', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'is_current'])], 'pk_attr': 'id', 'table_description': "One generation of an organization's personas. Exactly one READY set is current, a new"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Persona',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('persona_set', fields.ForeignKeyField('models.PersonaSet', source_field='persona_set_id', db_constraint=True, to_field='id', related_name='personas', on_delete=OnDelete.CASCADE)),
                ('identity_id', fields.UUIDField()),
                ('name', fields.CharField(max_length=120)),
                ('position', fields.IntField(default=0)),
                ('is_other', fields.BooleanField(default=False)),
                ('size', fields.IntField()),
                ('share', fields.FloatField()),
                ('centroid', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('demographics', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('motivations', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('behaviors', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'persona', 'app': 'models', 'indexes': [Index(fields=['persona_set_id', 'position']), Index(fields=['identity_id'])], 'pk_attr': 'id', 'table_description': 'One persona of one set. `identity_id` is the stable id clients see: a persona that is'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RoadmapItem',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('persona_identity_id', fields.UUIDField()),
                ('rule_key', fields.CharField(null=True, max_length=64)),
                ('source', fields.CharEnumField(description='GENERATED: GENERATED\nSTAFF: STAFF', enum_type=RoadmapItemSource, max_length=12)),
                ('title', fields.CharField(max_length=200)),
                ('rationale', fields.TextField(default='', unique=False)),
                ('suggested_setting', fields.CharField(default='', max_length=300)),
                ('done', fields.BooleanField(default=False)),
                ('notes', fields.TextField(default='', unique=False)),
                ('position', fields.IntField(default=0)),
                ('dismissed', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'roadmap_item', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'persona_identity_id', 'position'])], 'pk_attr': 'id', 'table_description': "A checklist item of a persona's roadmap, attached to the persona's stable identity so"},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='AuditEvent',
            name='action',
            field=fields.CharEnumField(description='CUSTOMER_ARCHIVED: CUSTOMER_ARCHIVED\nCUSTOMER_UNARCHIVED: CUSTOMER_UNARCHIVED\nSTAFF_CREATED: STAFF_CREATED\nSTAFF_ROLE_CHANGED: STAFF_ROLE_CHANGED\nSTAFF_DEACTIVATED: STAFF_DEACTIVATED\nAPI_KEY_CREATED: API_KEY_CREATED\nAPI_KEY_REVOKED: API_KEY_REVOKED\nORGANIZATION_CREATED: ORGANIZATION_CREATED\nORGANIZATION_UPDATED: ORGANIZATION_UPDATED\nIMPORT_STARTED: IMPORT_STARTED\nIMPORT_CANCELLED: IMPORT_CANCELLED\nPERSONAS_REGENERATION_REQUESTED: PERSONAS_REGENERATION_REQUESTED', enum_type=AuditAction, max_length=40),
        ),
        ops.AddIndex(
            model_name='LedgerEntry',
            index=Index(fields=['order_id']),
        ),
        ops.AddIndex(
            model_name='OrderItem',
            index=Index(fields=['order_id']),
        ),
    ]
