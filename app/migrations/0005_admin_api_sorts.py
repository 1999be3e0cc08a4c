from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_staff_email_per_organization')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Customer',
            name=None,
            fields=['organization_id', 'last_name_key'],
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['organization_id', 'last_name_key', 'id']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['organization_id', 'last_order_at', 'id']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['organization_id', 'total_spent', 'id']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['organization_id', 'order_count', 'id']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['organization_id', 'points_balance', 'id']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['organization_id', 'created_at', 'id']),
        ),
        ops.AddIndex(
            model_name='ImportJob',
            index=Index(fields=['organization_id', 'created_at', 'id']),
        ),
        ops.AddIndex(
            model_name='ImportJob',
            index=Index(fields=['organization_id', 'finished_at', 'id']),
        ),
        ops.AddIndex(
            model_name='ImportJob',
            index=Index(fields=['organization_id', 'total_rows', 'id']),
        ),
        ops.AddIndex(
            model_name='LedgerEntry',
            index=Index(fields=['organization_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='LedgerEntry',
            index=Index(fields=['organization_id', 'expires_at']),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['customer_id', 'total', 'id']),
        ),
    ]
