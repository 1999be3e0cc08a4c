from tortoise import migrations
from tortoise.migrations import operations as ops
from app.core.ids import new_id
from app.models.consent import ConsentSource
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_organization_slugs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InboundMessage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('provider', fields.CharField(max_length=32)),
                ('provider_message_id', fields.CharField(max_length=128)),
                ('sender', fields.CharField(max_length=254)),
                ('body', fields.TextField(unique=False)),
                ('intent', fields.CharField(max_length=8)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'inbound_message', 'app': 'models', 'unique_together': (('organization', 'provider', 'provider_message_id'),), 'indexes': [Index(fields=['organization_id', 'customer_id']), Index(fields=['organization_id', 'received_at'])], 'pk_attr': 'id', 'table_description': "A text a shopper sent to the organization's number, stored once per provider message id."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='ConsentEvent',
            name='source',
            field=fields.CharEnumField(description='STAFF: STAFF\nAPI: API\nIMPORT: IMPORT\nSIGNUP_FORM: SIGNUP_FORM\nSMS_REPLY: SMS_REPLY\nSHOPPER: SHOPPER\nCARRIER: CARRIER\nLAPSE: LAPSE', enum_type=ConsentSource, max_length=16),
        ),
    ]
