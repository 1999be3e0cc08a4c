from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.audit import AuditAction
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0003_imports_personas')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='AuditEvent',
            name='action',
            field=fields.CharEnumField(description='CUSTOMER_ARCHIVED: CUSTOMER_ARCHIVED\nCUSTOMER_UNARCHIVED: CUSTOMER_UNARCHIVED\nSTAFF_CREATED: STAFF_CREATED\nSTAFF_ROLE_CHANGED: STAFF_ROLE_CHANGED\nSTAFF_DEACTIVATED: STAFF_DEACTIVATED\nLOGIN_THROTTLED: LOGIN_THROTTLED\nAPI_KEY_CREATED: API_KEY_CREATED\nAPI_KEY_REVOKED: API_KEY_REVOKED\nORGANIZATION_CREATED: ORGANIZATION_CREATED\nORGANIZATION_UPDATED: ORGANIZATION_UPDATED\nIMPORT_STARTED: IMPORT_STARTED\nIMPORT_CANCELLED: IMPORT_CANCELLED\nPERSONAS_REGENERATION_REQUESTED: PERSONAS_REGENERATION_REQUESTED', enum_type=AuditAction, max_length=40),
        ),
        ops.AlterField(
            model_name='Staff',
            name='email',
            field=fields.CharField(db_index=True, max_length=254),
        ),
        ops.AddConstraint(
            model_name='Staff',
            constraint=UniqueConstraint(fields=('organization', 'email'), name=None),
        ),
    ]
