from tortoise import migrations
from tortoise.migrations import operations as ops
from app.core.ids import new_id
from app.models.audit import AuditAction
from app.models.privacy import BlockReason
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0004_staff_email_per_organization')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.OneToOneField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('sequence', fields.BigIntField(default=0)),
                ('hash', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'audit_chain_head', 'app': 'models', 'pk_attr': 'id', 'table_description': "The newest entry of an organization's audit chain. Writers lock this row, so entries"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BlocklistEntry',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('digest', fields.CharField(max_length=64)),
                ('key_version', fields.SmallIntField()),
                ('reason', fields.CharEnumField(description='ERASED: ERASED\nOPTED_OUT: OPTED_OUT', enum_type=BlockReason, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'blocklist_entry', 'app': 'models', 'unique_together': (('organization', 'digest'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='AuditEvent',
            name='action',
            field=fields.CharEnumField(description='CUSTOMER_ARCHIVED: CUSTOMER_ARCHIVED\nCUSTOMER_UNARCHIVED: CUSTOMER_UNARCHIVED\nSTAFF_CREATED: STAFF_CREATED\nSTAFF_ROLE_CHANGED: STAFF_ROLE_CHANGED\nSTAFF_DEACTIVATED: STAFF_DEACTIVATED\nLOGIN_THROTTLED: LOGIN_THROTTLED\nAPI_KEY_CREATED: API_KEY_CREATED\nAPI_KEY_REVOKED: API_KEY_REVOKED\nORGANIZATION_CREATED: ORGANIZATION_CREATED\nORGANIZATION_UPDATED: ORGANIZATION_UPDATED\nIMPORT_STARTED: IMPORT_STARTED\nIMPORT_CANCELLED: IMPORT_CANCELLED\nPERSONAS_REGENERATION_REQUESTED: PERSONAS_REGENERATION_REQUESTED\nIDENTIFIERS_BLOCKED: IDENTIFIERS_BLOCKED\nIDENTIFIER_STATUS_CHECKED: IDENTIFIER_STATUS_CHECKED\nBLOCKLIST_REKEYED: BLOCKLIST_REKEYED', enum_type=AuditAction, max_length=40),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='hash',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='previous_hash',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='sequence',
            field=fields.BigIntField(null=True),
        ),
        ops.AddConstraint(
            model_name='AuditEvent',
            constraint=UniqueConstraint(fields=('organization', 'sequence'), name=None),
        ),
        ops.AddField(
            model_name='Customer',
            name='blocked',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
