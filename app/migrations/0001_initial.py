from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.core.ids import new_id
from app.models.audit import ActorKind, AuditAction
from app.models.consent import ConsentChannel, ConsentSource
from app.models.customer import CustomerStatus, FavoriteStoreSource, SmsState
from app.models.organization import SignupChannel
from app.models.staff import Role
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Organization',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('default_region', fields.CharField(default='US', max_length=2)),
                ('timezone', fields.CharField(default='UTC', max_length=64)),
                ('settings', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'organization', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A tenant: one merchant. Every other row belongs to exactly one.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiKey',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='api_keys', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('prefix', fields.CharField(max_length=24)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('scopes', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_key', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A scoped credential of a machine client (POS). Only its SHA-256 is stored.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('action', fields.CharEnumField(description='CUSTOMER_ARCHIVED: CUSTOMER_ARCHIVED\nCUSTOMER_UNARCHIVED: CUSTOMER_UNARCHIVED\nSTAFF_CREATED: STAFF_CREATED\nSTAFF_ROLE_CHANGED: STAFF_ROLE_CHANGED\nSTAFF_DEACTIVATED: STAFF_DEACTIVATED\nAPI_KEY_CREATED: API_KEY_CREATED\nAPI_KEY_REVOKED: API_KEY_REVOKED\nORGANIZATION_CREATED: ORGANIZATION_CREATED\nORGANIZATION_UPDATED: ORGANIZATION_UPDATED', enum_type=AuditAction, max_length=40)),
                ('actor_kind', fields.CharEnumField(description='STAFF: STAFF\nAPI_KEY: API_KEY\nSYSTEM: SYSTEM', enum_type=ActorKind, max_length=16)),
                ('actor_id', fields.UUIDField(null=True)),
                ('subject_type', fields.CharField(max_length=32)),
                ('subject_id', fields.UUIDField()),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_event', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id']), Index(fields=['organization_id', 'subject_id'])], 'pk_attr': 'id', 'table_description': 'One privileged action. Rows are only ever inserted: see `save` and `delete`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SignupForm',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='signup_forms', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('channel', fields.CharEnumField(default=SignupChannel.WEB, description='WEB: WEB\nIN_STORE: IN_STORE\nMOBILE_APP: MOBILE_APP\nEVENT: EVENT\nOTHER: OTHER', enum_type=SignupChannel, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'signup_form', 'app': 'models', 'unique_together': (('organization', 'name'),), 'pk_attr': 'id', 'table_description': 'Where a customer signed up: the signup source shown on the customer.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Staff',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('name', fields.CharField(default='', max_length=200)),
                ('role', fields.CharEnumField(description='OWNER: OWNER\nMANAGER: MANAGER\nOPERATOR: OPERATOR\nSTAFF: STAFF\nMARKETING: MARKETING\nMARKETING_ANALYST: MARKETING_ANALYST\nANALYST: ANALYST', enum_type=Role, max_length=24)),
                ('password_hash', fields.CharField(max_length=255)),
                ('is_active', fields.BooleanField(default=True)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'staff', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A person of the merchant who signs in to the admin frontend.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffSession',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff_session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A bearer token of a staff member. Only its SHA-256 is stored.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Store',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='stores', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('code', fields.CharField(max_length=64)),
                ('online', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'store', 'app': 'models', 'unique_together': (('organization', 'code'),), 'pk_attr': 'id', 'table_description': 'A physical or online location of the organization.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Customer',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='customers', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=CustomerStatus.ACTIVE, description='ACTIVE: ACTIVE\nARCHIVED: ARCHIVED\nMERGED: MERGED\nERASED: ERASED', enum_type=CustomerStatus, max_length=16)),
                ('merged_into', fields.ForeignKeyField('models.Customer', source_field='merged_into_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('phone', fields.CharField(null=True, max_length=20)),
                ('external_reference', fields.CharField(null=True, max_length=128)),
                ('first_name', fields.CharField(default='', max_length=100)),
                ('last_name', fields.CharField(default='', max_length=100)),
                ('first_name_key', fields.CharField(default='', max_length=100)),
                ('last_name_key', fields.CharField(default='', max_length=100)),
                ('birthday', fields.DateField(null=True)),
                ('city', fields.CharField(null=True, max_length=100)),
                ('region', fields.CharField(null=True, max_length=100)),
                ('postal_code', fields.CharField(null=True, max_length=20)),
                ('country', fields.CharField(null=True, max_length=2)),
                ('traits', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('signup_form', fields.ForeignKeyField('models.SignupForm', source_field='signup_form_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('loyalty_enrolled', fields.BooleanField(default=True)),
                ('favorite_store', fields.ForeignKeyField('models.Store', source_field='favorite_store_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('favorite_store_source', fields.CharEnumField(null=True, description='WALLET_APP: WALLET_APP\nSIGNUP_FORM: SIGNUP_FORM\nIMPORT: IMPORT\nPURCHASE_HISTORY: PURCHASE_HISTORY', enum_type=FavoriteStoreSource, max_length=24)),
                ('email_opt_in', fields.BooleanField(default=False)),
                ('sms_state', fields.CharEnumField(default=SmsState.NOT_SUBSCRIBED, description='NOT_SUBSCRIBED: NOT_SUBSCRIBED\nPENDING: PENDING\nSUBSCRIBED: SUBSCRIBED\nUNSUBSCRIBED: UNSUBSCRIBED', enum_type=SmsState, max_length=16)),
                ('push_opt_in', fields.BooleanField(default=False)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('archive_reason', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'customer', 'app': 'models', 'unique_together': (('organization', 'email'), ('organization', 'phone'), ('organization', 'external_reference')), 'indexes': [Index(fields=['organization_id', 'last_name_key']), Index(fields=['organization_id', 'first_name_key']), Index(fields=['organization_id', 'status', 'id'])], 'pk_attr': 'id', 'table_description': 'One shopper of one organization.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConsentEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='consent_events', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharEnumField(description='EMAIL: EMAIL\nSMS: SMS\nPUSH: PUSH', enum_type=ConsentChannel, max_length=8)),
                ('state', fields.CharField(max_length=16)),
                ('source', fields.CharEnumField(description='STAFF: STAFF\nAPI: API\nIMPORT: IMPORT\nSIGNUP_FORM: SIGNUP_FORM\nSMS_REPLY: SMS_REPLY\nSHOPPER: SHOPPER', enum_type=ConsentSource, max_length=16)),
                ('text', fields.TextField(null=True, unique=False)),
                ('message_id', fields.CharField(null=True, max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'consent_event', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Evidence of one consent change: who or what changed it, when, and on what text.'},
            bases=['Model'],
        ),
    ]
