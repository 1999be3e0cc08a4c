from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.core.ids import new_id
from app.models.campaign import CampaignStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_earning_rules')]

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
        ops.AddField(
            model_name='EarningRule',
            name='source_roadmap_item',
            field=fields.ForeignKeyField('models.RoadmapItem', source_field='source_roadmap_item_id', null=True, unique=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='LedgerEntry',
            name='campaign',
            field=fields.ForeignKeyField('models.Campaign', source_field='campaign_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
    ]
