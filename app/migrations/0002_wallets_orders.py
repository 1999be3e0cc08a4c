from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.core.ids import new_id
from app.models.audit import ActorKind
from app.models.customer import LifecycleStage, RfmSegment
from app.models.order import OrderStatus
from app.models.wallet import LedgerKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Order',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.SET_NULL)),
                ('store', fields.ForeignKeyField('models.Store', source_field='store_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('receipt_number', fields.CharField(max_length=64)),
                ('total', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('placed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=OrderStatus.COMPLETED, description='COMPLETED: COMPLETED\nREFUNDED: REFUNDED\nVOIDED: VOIDED', enum_type=OrderStatus, max_length=12)),
                ('points_earned', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'customer_order', 'app': 'models', 'unique_together': (('organization', 'receipt_number'),), 'indexes': [Index(fields=['customer_id', 'placed_at'])], 'pk_attr': 'id', 'table_description': 'A completed purchase. Unique by receipt number within the organization.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='ledger_entries', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='EARN: EARN\nREDEEM: REDEEM\nADJUST: ADJUST\nEXPIRE: EXPIRE\nREFUND: REFUND\nMERGE_IN: MERGE_IN\nMERGE_OUT: MERGE_OUT\nUNMERGE: UNMERGE\nERASE: ERASE', enum_type=LedgerKind, max_length=12)),
                ('points', fields.IntField()),
                ('reason', fields.CharField(max_length=200)),
                ('actor_kind', fields.CharEnumField(description='STAFF: STAFF\nAPI_KEY: API_KEY\nSYSTEM: SYSTEM', enum_type=ActorKind, max_length=16)),
                ('actor_id', fields.UUIDField(null=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', null=True, db_constraint=True, to_field='id', related_name='ledger_entries', on_delete=OnDelete.SET_NULL)),
                ('idempotency_key', fields.CharField(null=True, max_length=200)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('remaining', fields.IntField(default=0)),
                ('balance_after', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'ledger_entry', 'app': 'models', 'unique_together': (('organization', 'idempotency_key'),), 'indexes': [Index(fields=['customer_id', 'id']), Index(fields=['customer_id', 'expires_at']), Index(fields=['expires_at', 'remaining'])], 'pk_attr': 'id', 'table_description': 'One append-only points movement. The wallet balance is the sum of `points`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrderItem',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('sku', fields.CharField(max_length=64)),
                ('category', fields.CharField(null=True, max_length=100)),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('quantity', fields.IntField(default=1)),
                ('price', fields.DecimalField(max_digits=12, decimal_places=2)),
            ],
            options={'table': 'order_item', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Customer',
            name='birthday_monthday',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name='Customer',
            name='first_order_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Customer',
            name='last_order_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Customer',
            name='lifecycle_stage',
            field=fields.CharEnumField(default=LifecycleStage.MEMBER, description='MEMBER: MEMBER\nONE_TIME_BUYER: ONE_TIME_BUYER\nACTIVE: ACTIVE\nAT_RISK: AT_RISK\nLOST: LOST', enum_type=LifecycleStage, max_length=16),
        ),
        ops.AddField(
            model_name='Customer',
            name='lifetime_points',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Customer',
            name='order_count',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Customer',
            name='points_balance',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Customer',
            name='referred_by',
            field=fields.ForeignKeyField('models.Customer', source_field='referred_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Customer',
            name='rfm_frequency',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name='Customer',
            name='rfm_monetary',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name='Customer',
            name='rfm_recency',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name='Customer',
            name='rfm_segment',
            field=fields.CharEnumField(null=True, description='CHAMPIONS: CHAMPIONS\nLOYAL: LOYAL\nPOTENTIAL_LOYALIST: POTENTIAL_LOYALIST\nNEW: NEW\nPROMISING: PROMISING\nNEED_ATTENTION: NEED_ATTENTION\nABOUT_TO_SLEEP: ABOUT_TO_SLEEP\nAT_RISK: AT_RISK\nCANNOT_LOSE_THEM: CANNOT_LOSE_THEM\nHIBERNATING: HIBERNATING\nLOST: LOST', enum_type=RfmSegment, max_length=20),
        ),
        ops.AddField(
            model_name='Customer',
            name='total_spent',
            field=fields.DecimalField(default=0, max_digits=14, decimal_places=2),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['organization_id', 'lifecycle_stage']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['organization_id', 'rfm_segment']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['organization_id', 'referred_by_id']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['birthday_monthday']),
        ),
    ]
