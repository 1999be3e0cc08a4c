from tortoise import migrations
from tortoise.migrations import operations as ops
from app.core.ids import new_id
from app.models.consent import ConsentSource
from app.models.message import MessageChannel, MessagePurpose, MessageStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_staff_email_per_organization')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('channel', fields.CharEnumField(description='EMAIL: EMAIL\nSMS: SMS', enum_type=MessageChannel, max_length=8)),
                ('purpose', fields.CharEnumField(description='VERIFICATION_CODE: VERIFICATION_CODE\nDOUBLE_OPT_IN: DOUBLE_OPT_IN\nCONFIRMATION: CONFIRMATION\nHELP: HELP\nSTOP_CONFIRMATION: STOP_CONFIRMATION\nEXPORT_LINK: EXPORT_LINK', enum_type=MessagePurpose, max_length=24)),
                ('recipient', fields.CharField(max_length=254)),
                ('subject', fields.CharField(null=True, max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=MessageStatus.QUEUED, description='QUEUED: QUEUED\nSENDING: SENDING\nSENT: SENT\nDELIVERED: DELIVERED\nFAILED: FAILED\nUNDELIVERABLE: UNDELIVERABLE', enum_type=MessageStatus, max_length=16)),
                ('provider', fields.CharField(null=True, max_length=32)),
                ('provider_message_id', fields.CharField(null=True, max_length=128)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('error_code', fields.CharField(null=True, max_length=40)),
                ('idempotency_key', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'outbox_message', 'app': 'models', 'unique_together': (('organization', 'idempotency_key'),), 'indexes': [Index(fields=['organization_id', 'created_at']), Index(fields=['provider', 'provider_message_id']), Index(fields=['status', 'next_attempt_at']), Index(fields=['organization_id', 'customer_id'])], 'pk_attr': 'id', 'table_description': 'One outgoing email or text, from the moment it is asked for.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VerificationCode',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharEnumField(description='EMAIL: EMAIL\nSMS: SMS', enum_type=MessageChannel, max_length=8)),
                ('identifier_digest', fields.CharField(max_length=64)),
                ('salt', fields.CharField(max_length=32)),
                ('code_digest', fields.CharField(max_length=64)),
                ('attempts', fields.IntField(default=0)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'verification_code', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'identifier_digest', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A one-time code sent to an email address or phone number, kept only as a keyed hash.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='ConsentEvent',
            name='source',
            field=fields.CharEnumField(description='STAFF: STAFF\nAPI: API\nIMPORT: IMPORT\nSIGNUP_FORM: SIGNUP_FORM\nSMS_REPLY: SMS_REPLY\nSHOPPER: SHOPPER\nCARRIER: CARRIER', enum_type=ConsentSource, max_length=16),
        ),
    ]
