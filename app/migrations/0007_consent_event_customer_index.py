from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_organization_slugs')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='ConsentEvent',
            index=Index(fields=['customer_id', 'created_at']),
        ),
    ]
