import type {
	IDataObject,
	IExecuteFunctions,
	INodeParameterResourceLocator,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { mdeRequest } from '../../transport/mde';
import { isMachineId, validateValue } from '../../helpers/validate';
import type { OperationRef } from '../../helpers/permissions';
import { readDate } from '../common';

/** Machine picker shared by every machine operation: from a list, by ID, by name, or by IP. */
export const machineLocator: INodeProperties = {
	displayName: 'Machine',
	name: 'machineId',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	description: 'The machine (device) to work on',
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Select a machine...',
			typeOptions: { searchListMethod: 'searchMachines', searchable: true },
		},
		{
			displayName: 'By ID',
			name: 'id',
			type: 'string',
			placeholder: 'e.g. 1e5bc9d7e413ddd7902c2932e418702b84d0cc07',
			validation: [
				{
					type: 'regex',
					properties: {
						regex: '^\\s*[0-9a-fA-F]{40}\\s*$',
						errorMessage: 'Not a valid machine ID (40 hexadecimal characters)',
					},
				},
			],
		},
		{
			displayName: 'By Name',
			name: 'name',
			type: 'string',
			placeholder: 'e.g. desktop-01.contoso.com',
			hint: 'The computer DNS name as Defender shows it',
		},
		{
			// The mode selector is 92 px wide: "By IP Address" showed as "By IP Ad".
			displayName: 'By IP',
			name: 'ip',
			type: 'string',
			placeholder: 'e.g. 10.1.2.3',
			hint: 'The internal IP the machine used (last 30 days). Set the time under Options → IP Address Seen At; default: now.',
		},
	],
};

/** Shown only while the machine is picked By IP (the option means nothing in the other modes). */
const BY_IP = { show: { '/machineId.mode': ['ip'] } };

export const ipSeenAtOption: INodeProperties = {
	displayName: 'IP Address Seen At',
	name: 'ipSeenAt',
	type: 'dateTime',
	default: '',
	displayOptions: BY_IP,
	description:
		'When the machine is picked by IP address: the time it used that IP (within the last 30 days; Defender matches ±15 minutes around it). Empty = now.',
};

/** Options of the operations whose only option is IP Address Seen At: hidden unless By IP. */
export const ipOptions: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add option',
	default: {},
	options: [ipSeenAtOption],
	displayOptions: BY_IP,
};

/** Wait for Completion and its poll interval and timeout; `o` changes what differs per operation. */
export function waitProperties(
	o: { wait?: boolean; waitDescription?: string; timeout?: number; timeoutDescription?: string } = {},
): INodeProperties[] {
	// Literal defaults here (the n8n lint rule reads them), overridden per operation below.
	const wait: INodeProperties = {
		displayName: 'Wait for Completion',
		name: 'waitForCompletion',
		type: 'boolean',
		default: false,
		description:
			'Whether to wait until the action reaches a final status (Succeeded, Failed, TimeOut or Cancelled) and return that state. Each status check is one API call.',
	};
	const timeout: INodeProperties = {
		displayName: 'Timeout (Seconds)',
		name: 'waitTimeout',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 600,
		description:
			'How long to wait. When it passes first, the node returns the last state with waitTimedOut set to true; the action keeps running in Defender.',
		displayOptions: { show: { waitForCompletion: [true] } },
	};
	if (o.wait !== undefined) wait.default = o.wait;
	if (o.waitDescription !== undefined) wait.description = o.waitDescription;
	if (o.timeout !== undefined) timeout.default = o.timeout;
	if (o.timeoutDescription !== undefined) timeout.description = o.timeoutDescription;
	return [
		wait,
		{
			displayName: 'Poll Interval (Seconds)',
			name: 'pollInterval',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 15,
			description: 'How often to check the action status',
			displayOptions: { show: { waitForCompletion: [true] } },
		},
		timeout,
	];
}

/** encodeURIComponent that also encodes the characters OData reads as syntax: ! ' ( ) * */
export function encodePathSegment(value: string): string {
	return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface ResolvedMachine {
	id: string;
	/** The machine object, when resolving it required fetching it (by name or IP). */
	machine?: IDataObject;
}

function locatorOf(this: IExecuteFunctions, i: number, parameter: string): INodeParameterResourceLocator {
	const raw = this.getNodeParameter(parameter, i) as INodeParameterResourceLocator | string;
	if (typeof raw === 'string') return { __rl: true, mode: 'id', value: raw };
	return raw;
}

/**
 * Turns the machine locator into a machine id. `list`/`id` → validated id (no request);
 * `name` → GET /api/machines/{name} (MDE accepts an id or a computer name there);
 * `ip` → findbyip around the given time; none or several machines → NodeOperationError.
 */
export async function resolveMachine(
	this: IExecuteFunctions,
	i: number,
	operation: OperationRef,
	parameter = 'machineId',
): Promise<ResolvedMachine> {
	const locator = locatorOf.call(this, i, parameter);
	const mode = locator.mode;
	const value = typeof locator.value === 'number' ? String(locator.value) : locator.value;

	if (mode === 'name') {
		const name = validateValue(this.getNode(), 'deviceName', value, { parameter: 'Machine (By Name)', itemIndex: i });
		const machine = await mdeRequest.call(this, {
			method: 'GET',
			path: `/api/machines/${encodePathSegment(name)}`,
			itemIndex: i,
			operation,
		});
		// Only a machine object counts (a name can never turn the path into another function).
		if (typeof machine.id !== 'string' || !isMachineId(machine.id)) {
			throw new NodeOperationError(this.getNode(), `No machine is named "${name}" (item ${i})`, {
				itemIndex: i,
				description: 'Use the computer DNS name as Defender shows it, or pick the machine from the list or by ID.',
			});
		}
		return { id: machine.id.toLowerCase(), machine };
	}

	if (mode === 'ip') {
		const ip = validateValue(this.getNode(), 'ipAddress', value, { parameter: 'Machine (By IP)', itemIndex: i });
		const options = this.getNodeParameter('options', i, {}) as IDataObject;
		const timestamp = readDate(this, i, options.ipSeenAt, 'IP Address Seen At') ?? new Date().toISOString();
		// The IP is validated above, so it cannot break out of the quoted function argument.
		const response = await mdeRequest.call(this, {
			method: 'GET',
			path: `/api/machines/findbyip(ip='${ip}',timestamp=${timestamp})`,
			itemIndex: i,
			operation,
		});
		const found = ((response.value as IDataObject[] | undefined) ?? []).filter((m) => typeof m.id === 'string');
		const distinct = found.filter((m, index) => found.findIndex((n) => n.id === m.id) === index);
		if (distinct.length === 0) {
			throw new NodeOperationError(this.getNode(), `No machine used the IP address ${ip} around ${timestamp} (item ${i})`, {
				itemIndex: i,
				description:
					'Defender matches IPs within ±15 minutes of the given time and only for the last 30 days. Set Options → IP Address Seen At, or pick the machine by ID or name.',
			});
		}
		if (distinct.length > 1) {
			const list = distinct
				.slice(0, 10)
				.map((m) => `${String(m.computerDnsName ?? '?')} (${String(m.id)})`)
				.join(', ');
			throw new NodeOperationError(
				this.getNode(),
				`${distinct.length} machines used the IP address ${ip} around ${timestamp} (item ${i})`,
				{
					itemIndex: i,
					description: `The IP address is ambiguous: ${list}. Pick the machine by ID or name instead.`,
				},
			);
		}
		return { id: String(distinct[0].id), machine: distinct[0] };
	}

	const id = validateValue(this.getNode(), 'machineId', value, { parameter: 'Machine', itemIndex: i });
	return { id: id.toLowerCase() };
}


/**
 * The fields kept by Simplify on Machine Get and Get Many (at most ten, n8n's UI guideline): who
 * the machine is, its state and risk, and where it was last seen.
 */
export const SIMPLE_MACHINE_FIELDS = [
	'id',
	'computerDnsName',
	'osPlatform',
	'healthStatus',
	'onboardingStatus',
	'riskScore',
	'exposureLevel',
	'lastSeen',
	'lastIpAddress',
	'machineTags',
];

/** A machine record as the operations return it: the simplified fields, or the raw record without OData metadata. */
export function machineOutput(machine: IDataObject, simplify: boolean): IDataObject {
	if (simplify) return pickFields(machine, SIMPLE_MACHINE_FIELDS);
	// `@odata.context` describes the response, not the machine (Get Many's records never carry it).
	const raw = { ...machine };
	delete raw['@odata.context'];
	return raw;
}

function pickFields(record: IDataObject, fields: string[]): IDataObject {
	const out: IDataObject = {};
	for (const field of fields) {
		if (record[field] !== undefined) out[field] = record[field];
	}
	return out;
}
