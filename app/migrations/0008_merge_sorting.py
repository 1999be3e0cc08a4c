from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_sqlite_rebuilt_tables_indexes')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='CustomerMerge',
            index=Index(fields=['organization_id', 'created_at', 'id']),
        ),
        ops.AddIndex(
            model_name='CustomerMerge',
            index=Index(fields=['organization_id', 'undone_at', 'id']),
        ),
    ]
