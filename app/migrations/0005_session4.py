from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.core.ids import new_id
from app.models.audit import ActorKind, AuditAction
from app.models.consent import ConsentSource
from app.models.duplicates import PlaceholderKind, PlaceholderSource
from app.models.merge import AliasKind, MergeRole
from app.models.message import MessageChannel, MessagePurpose, MessageStatus
from app.models.privacy import BlockReason
from app.models.privacy_request import PrivacyRequestKind, PrivacyRequestSource, PrivacyRequestStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0004_staff_email_per_organization')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.OneToOneField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('sequence', fields.BigIntField(default=0)),
                ('hash', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'audit_chain_head', 'app': 'models', 'pk_attr': 'id', 'table_description': "The newest entry of an organization's audit chain. Writers lock this row, so entries"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BlocklistEntry',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('digest', fields.CharField(max_length=64)),
                ('key_version', fields.SmallIntField()),
                ('reason', fields.CharEnumField(description='ERASED: ERASED\nOPTED_OUT: OPTED_OUT', enum_type=BlockReason, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'blocklist_entry', 'app': 'models', 'unique_together': (('organization', 'digest'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerMerge',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('survivor', fields.ForeignKeyField('models.Customer', source_field='survivor_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('merged_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('actor_kind', fields.CharEnumField(description='STAFF: STAFF\nAPI_KEY: API_KEY\nSYSTEM: SYSTEM', enum_type=ActorKind, max_length=16)),
                ('actor_id', fields.UUIDField(null=True)),
                ('field_choices', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('provenance', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('snapshots', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('moved', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('undone_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('undone_by_kind', fields.CharEnumField(null=True, description='STAFF: STAFF\nAPI_KEY: API_KEY\nSYSTEM: SYSTEM', enum_type=ActorKind, max_length=16)),
                ('undone_by_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'customer_merge', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One merge: who was folded into whom, and everything needed to undo it exactly.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerAlias',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='EMAIL: EMAIL\nPHONE: PHONE\nEXTERNAL_REFERENCE: EXTERNAL_REFERENCE', enum_type=AliasKind, max_length=20)),
                ('value', fields.CharField(max_length=254)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('former_customer', fields.ForeignKeyField('models.Customer', source_field='former_customer_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('merge', fields.ForeignKeyField('models.CustomerMerge', source_field='merge_id', db_constraint=True, to_field='id', related_name='aliases', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'customer_alias', 'app': 'models', 'unique_together': (('organization', 'kind', 'value'),), 'indexes': [Index(fields=['merge_id'])], 'pk_attr': 'id', 'table_description': 'An identifier of a merged customer (or one the survivor gave up) while a merge stands.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerMergeMember',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('merge', fields.ForeignKeyField('models.CustomerMerge', source_field='merge_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='SURVIVOR: SURVIVOR\nMERGED: MERGED', enum_type=MergeRole, max_length=8)),
                ('position', fields.SmallIntField()),
            ],
            options={'table': 'customer_merge_member', 'app': 'models', 'unique_together': (('merge', 'customer'),), 'indexes': [Index(fields=['customer_id', 'merge_id'])], 'pk_attr': 'id', 'table_description': "A customer's part in a merge, so history per customer is one indexed lookup."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DismissedDuplicatePair',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('low_customer_id', fields.UUIDField()),
                ('high_customer_id', fields.UUIDField()),
                ('dismissed_by_id', fields.UUIDField(null=True)),
                ('dismissed_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'dismissed_duplicate_pair', 'app': 'models', 'unique_together': (('organization', 'low_customer_id', 'high_customer_id'),), 'pk_attr': 'id', 'table_description': 'Two customers staff said are not one person: never suggested together again.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DuplicateSettings',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.OneToOneField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('placeholder_values', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('shared_threshold', fields.IntField(default=5)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('computed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'duplicate_settings', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The placeholder list and sharing threshold of an organization (defaults until edited).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DuplicateSuggestion',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('customer_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('score', fields.FloatField()),
                ('reasons', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('computed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'duplicate_suggestion', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A group of live customers (two or more) that look like one person.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DuplicateSuggestionMember',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('suggestion', fields.ForeignKeyField('models.DuplicateSuggestion', source_field='suggestion_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'duplicate_suggestion_member', 'app': 'models', 'unique_together': (('suggestion', 'customer'),), 'indexes': [Index(fields=['organization_id', 'customer_id'])], 'pk_attr': 'id', 'table_description': 'One customer of a suggestion: finds the suggestions of a customer, drops stale ones.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InboundMessage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('provider', fields.CharField(max_length=32)),
                ('provider_message_id', fields.CharField(max_length=128)),
                ('sender', fields.CharField(max_length=254)),
                ('body', fields.TextField(unique=False)),
                ('intent', fields.CharField(max_length=8)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'inbound_message', 'app': 'models', 'unique_together': (('organization', 'provider', 'provider_message_id'),), 'indexes': [Index(fields=['organization_id', 'customer_id']), Index(fields=['organization_id', 'received_at'])], 'pk_attr': 'id', 'table_description': "A text a shopper sent to the organization's number, stored once per provider message id."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('channel', fields.CharEnumField(description='EMAIL: EMAIL\nSMS: SMS', enum_type=MessageChannel, max_length=8)),
                ('purpose', fields.CharEnumField(description='VERIFICATION_CODE: VERIFICATION_CODE\nDOUBLE_OPT_IN: DOUBLE_OPT_IN\nCONFIRMATION: CONFIRMATION\nHELP: HELP\nSTOP_CONFIRMATION: STOP_CONFIRMATION\nEXPORT_LINK: EXPORT_LINK', enum_type=MessagePurpose, max_length=24)),
                ('recipient', fields.CharField(max_length=254)),
                ('subject', fields.CharField(null=True, max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=MessageStatus.QUEUED, description='QUEUED: QUEUED\nSENDING: SENDING\nSENT: SENT\nDELIVERED: DELIVERED\nFAILED: FAILED\nUNDELIVERABLE: UNDELIVERABLE', enum_type=MessageStatus, max_length=16)),
                ('provider', fields.CharField(null=True, max_length=32)),
                ('provider_message_id', fields.CharField(null=True, max_length=128)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('error_code', fields.CharField(null=True, max_length=40)),
                ('idempotency_key', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'outbox_message', 'app': 'models', 'unique_together': (('organization', 'idempotency_key'),), 'indexes': [Index(fields=['organization_id', 'created_at']), Index(fields=['provider', 'provider_message_id']), Index(fields=['status', 'next_attempt_at']), Index(fields=['organization_id', 'customer_id'])], 'pk_attr': 'id', 'table_description': 'One outgoing email or text, from the moment it is asked for.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlaceholderIdentifier',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='EMAIL: EMAIL\nPHONE: PHONE\nEXTERNAL_REFERENCE: EXTERNAL_REFERENCE', enum_type=PlaceholderKind, max_length=24)),
                ('value', fields.CharField(max_length=254)),
                ('customer_count', fields.IntField()),
                ('source', fields.CharEnumField(description='LISTED: LISTED\nSHARED: SHARED', enum_type=PlaceholderSource, max_length=8)),
            ],
            options={'table': 'placeholder_identifier', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A placeholder value the last recompute found among active customers, with its count.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PrivacyRequest',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='ERASE: ERASE\nEXPORT: EXPORT\nOPT_OUT: OPT_OUT', enum_type=PrivacyRequestKind, max_length=8)),
                ('status', fields.CharEnumField(default=PrivacyRequestStatus.RECEIVED, description='RECEIVED: RECEIVED\nVERIFIED: VERIFIED\nRUNNING: RUNNING\nDONE: DONE\nFAILED: FAILED', enum_type=PrivacyRequestStatus, max_length=10)),
                ('source', fields.CharEnumField(description='STAFF: STAFF\nSHOPPER: SHOPPER\nOPERATOR: OPERATOR', enum_type=PrivacyRequestSource, max_length=10)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('requested_by_id', fields.UUIDField(null=True)),
                ('reason', fields.CharField(default='', max_length=500)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('resends', fields.IntField(default=0)),
                ('steps', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error_code', fields.CharField(null=True, max_length=40)),
                ('export_file', fields.CharField(null=True, max_length=200)),
                ('export_token_sha256', fields.CharField(null=True, unique=True, max_length=64)),
                ('export_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('export_downloaded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'privacy_request', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'status', 'due_at']), Index(fields=['organization_id', 'customer_id']), Index(fields=['organization_id', 'received_at', 'id']), Index(fields=['organization_id', 'due_at', 'id']), Index(fields=['organization_id', 'completed_at', 'id'])], 'pk_attr': 'id', 'table_description': 'One request. It holds no identifier in clear: the customer is linked by id, and an'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VerificationCode',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharEnumField(description='EMAIL: EMAIL\nSMS: SMS', enum_type=MessageChannel, max_length=8)),
                ('identifier_digest', fields.CharField(max_length=64)),
                ('salt', fields.CharField(max_length=32)),
                ('code_digest', fields.CharField(max_length=64)),
                ('attempts', fields.IntField(default=0)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'verification_code', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'identifier_digest', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A one-time code sent to an email address or phone number, kept only as a keyed hash.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='AuditEvent',
            name='action',
            field=fields.CharEnumField(description='CUSTOMER_ARCHIVED: CUSTOMER_ARCHIVED\nCUSTOMER_UNARCHIVED: CUSTOMER_UNARCHIVED\nSTAFF_CREATED: STAFF_CREATED\nSTAFF_ROLE_CHANGED: STAFF_ROLE_CHANGED\nSTAFF_DEACTIVATED: STAFF_DEACTIVATED\nLOGIN_THROTTLED: LOGIN_THROTTLED\nAPI_KEY_CREATED: API_KEY_CREATED\nAPI_KEY_REVOKED: API_KEY_REVOKED\nORGANIZATION_CREATED: ORGANIZATION_CREATED\nORGANIZATION_UPDATED: ORGANIZATION_UPDATED\nIMPORT_STARTED: IMPORT_STARTED\nIMPORT_CANCELLED: IMPORT_CANCELLED\nPERSONAS_REGENERATION_REQUESTED: PERSONAS_REGENERATION_REQUESTED\nPRIVACY_REQUEST_CREATED: PRIVACY_REQUEST_CREATED\nCUSTOMER_ERASED: CUSTOMER_ERASED\nCUSTOMER_EXPORTED: CUSTOMER_EXPORTED\nCUSTOMER_OPTED_OUT: CUSTOMER_OPTED_OUT\nCUSTOMERS_MERGED: CUSTOMERS_MERGED\nCUSTOMERS_UNMERGED: CUSTOMERS_UNMERGED\nIDENTIFIERS_BLOCKED: IDENTIFIERS_BLOCKED\nIDENTIFIER_STATUS_CHECKED: IDENTIFIER_STATUS_CHECKED\nBLOCKLIST_REKEYED: BLOCKLIST_REKEYED\nIDENTIFIER_UNBLOCKED: IDENTIFIER_UNBLOCKED', enum_type=AuditAction, max_length=40),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='hash',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='previous_hash',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='sequence',
            field=fields.BigIntField(null=True),
        ),
        ops.AddConstraint(
            model_name='AuditEvent',
            constraint=UniqueConstraint(fields=('organization', 'sequence'), name=None),
        ),
        ops.AlterField(
            model_name='ConsentEvent',
            name='source',
            field=fields.CharEnumField(description='STAFF: STAFF\nAPI: API\nIMPORT: IMPORT\nSIGNUP_FORM: SIGNUP_FORM\nSMS_REPLY: SMS_REPLY\nSHOPPER: SHOPPER\nCARRIER: CARRIER\nLAPSE: LAPSE', enum_type=ConsentSource, max_length=16),
        ),
        ops.AddIndex(
            model_name='ConsentEvent',
            index=Index(fields=['customer_id', 'created_at']),
        ),
        ops.RemoveIndex(
            model_name='Customer',
            name=None,
            fields=['organization_id', 'last_name_key'],
        ),
        ops.AddField(
            model_name='Customer',
            name='blocked',
            field=fields.BooleanField(default=False, db_default=False),
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
        ops.AddField(
            model_name='Order',
            name='units',
            field=fields.IntField(null=True),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['customer_id', 'total', 'id']),
        ),
        ops.AddField(
            model_name='Organization',
            name='slug',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.AddField(
            model_name='Persona',
            name='note',
            field=fields.TextField(default='', unique=False),
        ),
    ]
