from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.core.ids import new_id
from app.models.customer import ChurnRisk
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
    ]
