import type { IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { and, anyEquals, anyOf, dateTime, eq, startsWith } from '../../helpers/odata';
import { readFilterText, readOptionList } from '../../helpers/validate';
import { filtersCollection, returnAllOrLimit, simplifyParameter } from '../../descriptions/common';
import { readDate, readFilters, readMdeList, readReturnAllLimit, toItems } from '../common';
import { machineOutput } from './common';
import { OPERATIONS } from '../operations';

/* The editor's options are also the values the node accepts from an expression (readOptionList). */
const EXPOSURE_LEVELS: INodePropertyOptions[] = [
	{ name: 'High', value: 'High' },
	{ name: 'Medium', value: 'Medium' },
	{ name: 'Low', value: 'Low' },
	{ name: 'None', value: 'None' },
];
const HEALTH_STATUSES: INodePropertyOptions[] = [
	{ name: 'Active', value: 'Active' },
	{ name: 'Impaired Communication', value: 'ImpairedCommunication' },
	{ name: 'Inactive', value: 'Inactive' },
	{ name: 'No Sensor Data', value: 'NoSensorData' },
	{ name: 'No Sensor Data, Impaired Communication', value: 'NoSensorDataImpairedCommunication' },
	{ name: 'Unknown', value: 'Unknown' },
];
const RISK_SCORES: INodePropertyOptions[] = [
	{ name: 'High', value: 'High' },
	{ name: 'Informational', value: 'Informational' },
	{ name: 'Low', value: 'Low' },
	{ name: 'Medium', value: 'Medium' },
	{ name: 'None', value: 'None' },
];

const properties: INodeProperties[] = [
	...returnAllOrLimit,
	{
		...filtersCollection,
		options: [
			{
				displayName: 'Exposure Level',
				name: 'exposureLevel',
				type: 'multiOptions',
				options: EXPOSURE_LEVELS,
				default: [],
			},
			{
				displayName: 'Health Status',
				name: 'healthStatus',
				type: 'multiOptions',
				options: HEALTH_STATUSES,
				default: [],
			},
			{
				displayName: 'Last Seen After',
				name: 'lastSeenAfter',
				type: 'dateTime',
				default: '',
				description: 'Only machines whose last full report is after this time',
			},
			{
				displayName: 'Name',
				name: 'name',
				type: 'string',
				default: '',
				placeholder: 'e.g. desktop-01',
				description: 'Computer DNS name to match (see Name Match)',
			},
			{
				displayName: 'Name Match',
				name: 'nameMatch',
				type: 'options',
				options: [
					{ name: 'Equals', value: 'equals' },
					{ name: 'Starts With', value: 'startsWith' },
				],
				default: 'startsWith',
				description: 'How Name is compared with the computer DNS name',
			},
			{
				displayName: 'OS Platform',
				name: 'osPlatform',
				type: 'string',
				default: '',
				placeholder: 'e.g. Windows11, WindowsServer2019, Linux, macOS',
				description: 'One platform, or several separated by commas',
			},
			{
				displayName: 'Risk Score',
				name: 'riskScore',
				type: 'multiOptions',
				options: RISK_SCORES,
				default: [],
				// Five options are kept alphabetical (the strict lint's rule for option lists), so the description gives the scale.
				description: "Only machines at one of these risk levels. Defender's scale, highest first: High, Medium, Low, Informational, None.",
			},
			{
				displayName: 'Tag',
				name: 'tag',
				type: 'string',
				default: '',
				description: 'Only machines carrying this tag',
			},
		],
	},
	simplifyParameter,
];

const displayOptions = { show: { resource: ['machine'], operation: ['getAll'] } };

export const description = updateDisplayOptions(displayOptions, properties);


/** Builds the `$filter` for machines; every value is checked for its type and escaped by the OData helpers. */
function buildMachineFilter(this: IExecuteFunctions, i: number): string | undefined {
	const node = this.getNode();
	const { filters, at } = readFilters(this, i);
	const clauses: Array<string | undefined> = [];
	const name = readFilterText(node, filters.name, at('Name'));
	if (name !== undefined) {
		clauses.push(filters.nameMatch === 'equals' ? eq('computerDnsName', name) : startsWith('computerDnsName', name));
	}
	clauses.push(anyOf('healthStatus', readOptionList(node, filters.healthStatus, { ...at('Health Status'), allowed: HEALTH_STATUSES })));
	clauses.push(anyOf('riskScore', readOptionList(node, filters.riskScore, { ...at('Risk Score'), allowed: RISK_SCORES })));
	clauses.push(anyOf('exposureLevel', readOptionList(node, filters.exposureLevel, { ...at('Exposure Level'), allowed: EXPOSURE_LEVELS })));
	clauses.push(anyOf('osPlatform', readOptionList(node, filters.osPlatform, at('OS Platform'))));
	const tag = readFilterText(node, filters.tag, at('Tag'));
	if (tag !== undefined) clauses.push(anyEquals('machineTags', tag));
	const lastSeenAfter = readDate(this, i, filters.lastSeenAfter, 'Last Seen After');
	if (lastSeenAfter) clauses.push(`lastSeen gt ${dateTime(lastSeenAfter).odataRaw}`);
	return and(...clauses);
}

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const limit = readReturnAllLimit(this, i);
	const simple = this.getNodeParameter('simplify', i, true) as boolean;

	const filter = buildMachineFilter.call(this, i);
	// No recent machines: Microsoft answers 404, which the transport reads as an empty list.
	const list = { path: '/api/machines', filter, endpoint: 'mdeMachines', operation: OPERATIONS.machine.getAll } as const;
	const machines = await readMdeList.call(this, i, list, limit);
	const data = machines.map((m) => machineOutput(m, simple));
	return toItems.call(this, data, i);
}
