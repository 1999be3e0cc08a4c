from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.core.ids import new_id
from app.models.earning_rule import EarningRuleKind, EarningRuleStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_sqlite_rebuilt_tables_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EarningRule',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='WELCOME: WELCOME\nFIRST_ORDER: FIRST_ORDER\nPROFILE_COMPLETED: PROFILE_COMPLETED\nORDER_MULTIPLIER: ORDER_MULTIPLIER\nSTREAK: STREAK\nMILESTONE: MILESTONE\nANNIVERSARY: ANNIVERSARY\nBIRTHDAY: BIRTHDAY\nREFERRAL: REFERRAL', enum_type=EarningRuleKind, max_length=20)),
                ('name', fields.CharField(max_length=120)),
                ('status', fields.CharEnumField(default=EarningRuleStatus.DRAFT, description='DRAFT: DRAFT\nACTIVE: ACTIVE\nPAUSED: PAUSED\nARCHIVED: ARCHIVED', enum_type=EarningRuleStatus, max_length=10)),
                ('points', fields.IntField(null=True)),
                ('multiplier', fields.DecimalField(null=True, max_digits=6, decimal_places=2)),
                ('conditions', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('audience', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('starts_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('per_customer_limit', fields.IntField(null=True)),
                ('points_budget', fields.IntField(null=True)),
                ('points_awarded', fields.IntField(default=0)),
                ('awards_count', fields.IntField(default=0)),
                ('priority', fields.IntField(default=0)),
                ('created_by_id', fields.UUIDField(null=True)),
                ('updated_by_id', fields.UUIDField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'earning_rule', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'status', 'id']), Index(fields=['organization_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EarningRuleAward',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('rule', fields.ForeignKeyField('models.EarningRule', source_field='rule_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('event_key', fields.CharField(max_length=120)),
                ('points', fields.IntField()),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('event_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reversed', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'earning_rule_award', 'app': 'models', 'unique_together': (('rule', 'event_key'),), 'indexes': [Index(fields=['rule_id', 'customer_id', 'event_at']), Index(fields=['order_id'])], 'pk_attr': 'id', 'table_description': 'One award of a rule to a customer for one event: (rule, event key) is unique, so a'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='LedgerEntry',
            name='earning_rule',
            field=fields.ForeignKeyField('models.EarningRule', source_field='earning_rule_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
    ]
