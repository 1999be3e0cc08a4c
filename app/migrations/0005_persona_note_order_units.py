from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_staff_email_per_organization')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Order',
            name='units',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Persona',
            name='note',
            field=fields.TextField(default='', unique=False),
        ),
    ]
