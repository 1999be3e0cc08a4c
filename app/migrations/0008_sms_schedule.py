from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_sqlite_rebuilt_tables_indexes')]

    initial = False

    operations = [
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
            model_name='OutboxMessage',
            name='import_job_id',
            field=fields.UUIDField(null=True),
        ),
        ops.AddIndex(
            model_name='OutboxMessage',
            index=Index(fields=['organization_id', 'import_job_id', 'status']),
        ),
    ]
