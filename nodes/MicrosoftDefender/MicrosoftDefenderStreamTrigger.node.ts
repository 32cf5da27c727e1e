import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IDataObject,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { CREDENTIAL_TYPES } from './helpers/credentialTypes';
import {
	STREAM_TABLES,
	checkAccountKey,
	loadState,
	normalizeSas,
	validateQueueName,
	StreamConfigError,
	type PropertyCondition,
} from './helpers/streamExport';
import { resolveStorageConnection } from './transport/storage';
import { peekStreamRecord, runStreamPoll, type StreamOptions } from './transport/streamPoll';

/** Where the trigger keeps its cursors in the workflow's static data (one entry per queue). */
const STATE_KEY = 'defenderStream';

const custom = { show: { storageCloud: ['custom'] } };

export class MicrosoftDefenderStreamTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Defender Stream Trigger',
		name: 'microsoftDefenderStreamTrigger',
		icon: { light: 'file:defender.svg', dark: 'file:defender.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["queueName"]}}',
		description:
			"Starts the workflow with Defender's streaming export (Advanced Hunting events in an Azure Storage account, announced by Event Grid to a storage queue)",
		defaults: { name: 'Microsoft Defender Stream Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: CREDENTIAL_TYPES.entraApp,
				required: true,
				displayOptions: { show: { authentication: ['entraApp'] } },
			},
			{
				name: CREDENTIAL_TYPES.storage,
				required: true,
				testedBy: 'storageCredentialTest',
				displayOptions: { show: { authentication: ['storageCredential'] } },
			},
		],
		properties: [
			{
				displayName: 'Authentication',
				name: 'authentication',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Entra App (Same App as the Defender Nodes)',
						value: 'entraApp',
						description:
							'Needs Storage Queue Data Message Processor and Storage Blob Data Reader on the account',
					},
					{ name: 'Storage Account Key or SAS', value: 'storageCredential' },
				],
				default: 'entraApp',
			},
			{
				displayName: 'Storage Account Name',
				name: 'storageAccount',
				type: 'string',
				required: true,
				default: '',
				placeholder: 'e.g. contosodefenderstream',
				description: 'The storage account the streaming API writes to',
			},
			{
				displayName: 'Queue Name',
				name: 'queueName',
				type: 'string',
				required: true,
				default: '',
				placeholder: 'e.g. defender-blob-created',
				description:
					"The storage queue the Event Grid subscription delivers the storage account's Blob Created events to",
			},
			{
				displayName: 'Azure Cloud',
				name: 'storageCloud',
				type: 'options',
				options: [
					{ name: 'Azure (Global, core.windows.net)', value: 'global' },
					{ name: 'Azure Government (GCC High, DoD; core.usgovcloudapi.net)', value: 'usGov' },
					{ name: 'Azure China (core.chinacloudapi.cn)', value: 'china' },
					{ name: 'Custom Endpoints (Azurite, Private Endpoints)', value: 'custom' },
				],
				default: 'global',
				description: "Where the storage account lives (its endpoints' host suffix)",
			},
			{
				displayName: 'Blob Endpoint',
				name: 'blobEndpoint',
				type: 'string',
				default: '',
				placeholder: 'e.g. http://127.0.0.1:10000/devstoreaccount1',
				displayOptions: custom,
			},
			{
				displayName: 'Queue Endpoint',
				name: 'queueEndpoint',
				type: 'string',
				default: '',
				placeholder: 'e.g. http://127.0.0.1:10001/devstoreaccount1',
				displayOptions: custom,
			},
			{
				displayName: 'Tables',
				name: 'tables',
				type: 'multiOptions',
				options: STREAM_TABLES.map((t) => ({ name: t, value: t })),
				default: [],
				description:
					'Only records of these Advanced Hunting tables. None selected = every exported table. Messages for other tables are removed from the queue unread.',
			},
			{
				displayName: 'Property Filters',
				name: 'propertyFilters',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				placeholder: 'Add Property Filter',
				default: {},
				description: 'Only records whose properties match all of these (case-insensitive equality)',
				options: [
					{
						name: 'conditions',
						displayName: 'Condition',
						values: [
							{
								displayName: 'Property',
								name: 'name',
								type: 'string',
								default: '',
								placeholder: 'e.g. ActionType or AdditionalFields.Protocol',
								description: 'Column of the Advanced Hunting table (dot path for nested values)',
							},
							{
								displayName: 'Value',
								name: 'value',
								type: 'string',
								default: '',
								placeholder: 'e.g. ConnectionSuccess',
							},
						],
					},
				],
			},
			{
				displayName: 'Output',
				name: 'output',
				type: 'options',
				options: [
					{ name: 'One Item per Record', value: 'record' },
					{
						name: 'One Item per Blob',
						value: 'blob',
						description: 'One item per blob and poll holding the records read from it',
					},
				],
				default: 'record',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Append Blob Quiet Period (Minutes)',
						name: 'quietMinutes',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 10,
						description:
							'An hourly append blob (PT1H file) counts as complete (its message is deleted) once its hour is over and nothing was appended for this long',
					},
					{
						displayName: 'Emit Error Items',
						name: 'emitErrors',
						type: 'boolean',
						default: true,
						description:
							'Whether malformed lines, missing blobs and poison messages become items with an "error" field (otherwise they are only logged)',
					},
					{
						displayName: 'Growing Blob Recheck (Seconds)',
						name: 'recheckSeconds',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 300,
						description:
							'How long the message of a blob that is still being appended to stays hidden before the trigger reads its new bytes',
					},
					{
						displayName: 'Max Delivery Attempts',
						name: 'maxAttempts',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 5,
						description:
							'A message that failed this many times is reported as an error item and moved to the poison queue',
					},
					{
						displayName: 'Max Items per Poll',
						name: 'maxItems',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 10000,
						description:
							'Records (and error items) emitted by one poll at most; a large blob continues on the next polls from where it stopped',
					},
					{
						displayName: 'Message Lease (Seconds)',
						name: 'leaseSeconds',
						type: 'number',
						typeOptions: { minValue: 30, maxValue: 604800 },
						default: 300,
						description: 'Visibility timeout of received messages; renewed while a blob is read',
					},
					{
						displayName: 'Poison Queue',
						name: 'poisonQueue',
						type: 'string',
						default: '',
						placeholder: 'e.g. defender-blob-created-poison',
						description:
							'Where messages that keep failing are moved (needs Storage Queue Data Message Sender). Empty = &lt;queue&gt;-poison; "-" = delete them after reporting.',
					},
					{
						displayName: 'Read Size (MiB)',
						name: 'readSizeMiB',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 64 },
						default: 4,
						description:
							'Bytes per ranged blob read; memory use stays near this plus the items of one poll, whatever the blob size',
					},
					{
						displayName: 'Storage Audience Scope',
						name: 'storageScope',
						type: 'string',
						default: '',
						placeholder: 'https://storage.azure.com/.default',
						description:
							'Entra scope for Azure Storage (Entra App authentication); override only for sovereign clouds that need another audience',
					},
				],
			},
		],
	};

	methods = {
		credentialTest: {
			/** Offline checks (the account and queue are node parameters, so no call is made). */
			async storageCredentialTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				const data = (credential.data ?? {}) as IDataObject;
				const problem =
					data.authentication === 'accountKey'
						? checkAccountKey(String(data.accountKeySecret ?? ''))
						: normalizeSas(String(data.sasToken ?? '')).problem;
				return problem
					? { status: 'Error', message: problem }
					: {
							status: 'OK',
							message:
								'The key or SAS token is well-formed; the trigger checks access when activated',
						};
			},
		},
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const o = (this.getNodeParameter('options', {}) ?? {}) as IDataObject;
		let queue: string;
		let poisonQueue: string;
		try {
			queue = validateQueueName(this.getNodeParameter('queueName', '') as string);
			const p = String(o.poisonQueue ?? '').trim();
			poisonQueue = p === '-' ? '' : validateQueueName(p || `${queue}-poison`, 'Poison Queue');
		} catch (e) {
			const err = e as StreamConfigError;
			throw new NodeOperationError(this.getNode(), err.message, { description: err.description });
		}
		const num = (v: unknown, d: number, min: number) =>
			typeof v === 'number' && Number.isFinite(v) && v >= min ? v : d;
		const conditions = (((this.getNodeParameter('propertyFilters', {}) ?? {}) as IDataObject)
			.conditions ?? []) as PropertyCondition[];
		const options: StreamOptions = {
			queue,
			tables: ((this.getNodeParameter('tables', []) ?? []) as string[]).map((t) =>
				String(t).toLowerCase(),
			),
			conditions: conditions
				.filter((c) => c && String(c.name ?? '').trim())
				.map((c) => ({ name: String(c.name).trim(), value: String(c.value ?? '') })),
			output: this.getNodeParameter('output', 'record') === 'blob' ? 'blob' : 'record',
			maxItems: Math.floor(num(o.maxItems, 10000, 1)),
			leaseSec: Math.floor(num(o.leaseSeconds, 300, 1)),
			recheckSec: Math.floor(num(o.recheckSeconds, 300, 0)),
			quietMs: num(o.quietMinutes, 10, 0) * 60000,
			maxAttempts: Math.floor(num(o.maxAttempts, 5, 1)),
			poisonQueue,
			chunkBytes: Math.floor(num(o.readSizeMiB, 4, 0.001) * 1048576),
			emitErrors: o.emitErrors !== false,
			maxLineBytes: 32 * 1048576,
		};
		const conn = await resolveStorageConnection(this);

		if (this.getMode() === 'manual') {
			const items = await peekStreamRecord(this, conn, options);
			return items.length ? [items] : null;
		}

		const staticData = this.getWorkflowStaticData('node');
		const all = (staticData[STATE_KEY] ?? {}) as IDataObject;
		const key = `${conn.endpoints.queue}/${queue}`;
		// A copy: nothing changes in the stored state unless the whole poll succeeds.
		const state = loadState(JSON.parse(JSON.stringify(all[key] ?? null)));
		const items = await runStreamPoll(this, conn, state, options);
		staticData[STATE_KEY] = { ...all, [key]: state } as unknown as IDataObject;
		return items.length ? [items] : null;
	}
}
