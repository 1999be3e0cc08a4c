from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.core.ids import new_id
from app.models.campaign import CampaignStatus
from app.models.customer import ChurnRisk
from app.models.earning_rule import EarningRuleKind, EarningRuleStatus
from app.models.prediction import PredictionModelStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_sqlite_rebuilt_tables_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Campaign',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=120)),
                ('audience', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('points', fields.IntField()),
                ('reason', fields.CharField(max_length=200)),
                ('status', fields.CharEnumField(default=CampaignStatus.DRAFT, description='DRAFT: DRAFT\nSCHEDULED: SCHEDULED\nRUNNING: RUNNING\nCOMPLETED: COMPLETED\nCANCELLED: CANCELLED\nFAILED: FAILED', enum_type=CampaignStatus, max_length=12)),
                ('scheduled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('audience_until', fields.UUIDField(null=True)),
                ('audience_size', fields.IntField(null=True)),
                ('credited_count', fields.IntField(default=0)),
                ('points_credited', fields.BigIntField(default=0)),
                ('cursor', fields.UUIDField(null=True)),
                ('attempts', fields.IntField(default=0)),
                ('heartbeat_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('error_code', fields.CharField(null=True, max_length=40)),
                ('created_by_id', fields.UUIDField(null=True)),
                ('source_roadmap_item', fields.ForeignKeyField('models.RoadmapItem', source_field='source_roadmap_item_id', null=True, unique=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'campaign', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'status', 'id']), Index(fields=['status', 'scheduled_at'])], 'pk_attr': 'id', 'table_description': "The campaign row is the job's intent: a worker crediting it records its progress here"},
            bases=['Model'],
        ),
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
                ('source_roadmap_item', fields.ForeignKeyField('models.RoadmapItem', source_field='source_roadmap_item_id', null=True, unique=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
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
        ops.CreateModel(
            name='PredictionModel',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', unique=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(description='FITTED: FITTED\nINELIGIBLE: INELIGIBLE\nFAILED: FAILED', enum_type=PredictionModelStatus, max_length=12)),
                ('reason_code', fields.CharField(null=True, max_length=40)),
                ('reason', fields.CharField(null=True, max_length=500)),
                ('fitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('as_of', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('customers', fields.IntField(default=0)),
                ('repeat_buyers', fields.IntField(default=0)),
                ('parameters', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('calibration', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('bgnbd_log_likelihood', fields.FloatField(null=True)),
                ('gamma_gamma_log_likelihood', fields.FloatField(null=True)),
                ('converged', fields.BooleanField(default=False)),
                ('timings', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'prediction_model', 'app': 'models', 'pk_attr': 'id', 'table_description': "The organization's current prediction model (BG/NBD and Gamma-Gamma), one row per"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Customer',
            name='churn_risk',
            field=fields.CharEnumField(null=True, description='LOW: LOW\nMEDIUM: MEDIUM\nHIGH: HIGH', enum_type=ChurnRisk, max_length=8),
        ),
        ops.AddField(
            model_name='Customer',
            name='predicted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Customer',
            name='predicted_orders_90d',
            field=fields.DecimalField(null=True, max_digits=12, decimal_places=4),
        ),
        ops.AddField(
            model_name='Customer',
            name='predicted_probability_alive',
            field=fields.DecimalField(null=True, max_digits=7, decimal_places=6),
        ),
        ops.AddField(
            model_name='Customer',
            name='predicted_spend_365d',
            field=fields.DecimalField(null=True, max_digits=14, decimal_places=2),
        ),
        ops.AddField(
            model_name='Customer',
            name='prediction_age_days',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Customer',
            name='prediction_frequency',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Customer',
            name='prediction_monetary_mean',
            field=fields.DecimalField(null=True, max_digits=14, decimal_places=2),
        ),
        ops.AddField(
            model_name='Customer',
            name='prediction_recency_days',
            field=fields.IntField(null=True),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['organization_id', 'churn_risk']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['organization_id', 'predicted_spend_365d', 'id']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['organization_id', 'predicted_probability_alive', 'id']),
        ),
        ops.AddIndex(
            model_name='CustomerMerge',
            index=Index(fields=['organization_id', 'created_at', 'id']),
        ),
        ops.AddIndex(
            model_name='CustomerMerge',
            index=Index(fields=['organization_id', 'undone_at', 'id']),
        ),
        ops.AddField(
            model_name='ImportJob',
            name='sms_send_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ImportJob',
            name='sms_started_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='ImportJob',
            index=Index(fields=['sms_started_at', 'sms_send_at']),
        ),
        ops.AddField(
            model_name='LedgerEntry',
            name='campaign',
            field=fields.ForeignKeyField('models.Campaign', source_field='campaign_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='LedgerEntry',
            name='earning_rule',
            field=fields.ForeignKeyField('models.EarningRule', source_field='earning_rule_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='import_job_id',
            field=fields.UUIDField(null=True),
        ),
        ops.AddIndex(
            model_name='OutboxMessage',
            index=Index(fields=['organization_id', 'import_job_id', 'status']),
        ),
    ]
