import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { filtersCollection, multiFilter, returnAllOrLimit } from '../../descriptions/common';
import { and, anyOf, dateTime, eq } from '../../helpers/odata';
import { readFilterText, readOptionList, validateValue } from '../../helpers/validate';
import { readDate, readFilters, readMdeList, readReturnAllLimit, toItems } from '../common';
import { MACHINE_ACTION_STATUSES, MACHINE_ACTION_TYPES } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	...returnAllOrLimit,
	{
		...filtersCollection,
		options: [
			{
				displayName: 'Created After',
				name: 'createdAfter',
				type: 'dateTime',
				default: '',
				description: 'Only actions created after this time',
			},
			{
				displayName: 'Machine ID',
				name: 'machineId',
				type: 'string',
				default: '',
				placeholder: 'e.g. 1e5bc9d7e413ddd7902c2932e418702b84d0cc07',
				description: 'Only actions on this machine (40 hexadecimal characters)',
			},
			{
				displayName: 'Requestor',
				name: 'requestor',
				type: 'string',
				default: '',
				placeholder: 'e.g. analyst@contoso.com',
				description: 'Only actions requested by this user (UPN) or app',
			},
			multiFilter('Status', 'status', MACHINE_ACTION_STATUSES),
			multiFilter('Type', 'type', MACHINE_ACTION_TYPES),
		],
	},
];

const displayOptions = { show: { resource: ['machineAction'], operation: ['getAll'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const limit = readReturnAllLimit(this, i);
	const { filters, at } = readFilters(this, i);

	const node = this.getNode();
	const clauses: Array<string | undefined> = [];
	const machineIdText = readFilterText(node, filters.machineId, at('Machine ID'));
	if (machineIdText !== undefined) {
		const machineId = validateValue(node, 'machineId', machineIdText, at('Machine ID'));
		clauses.push(eq('machineId', machineId.toLowerCase()));
	}
	clauses.push(anyOf('type', readOptionList(node, filters.type, { ...at('Type'), allowed: MACHINE_ACTION_TYPES })));
	clauses.push(anyOf('status', readOptionList(node, filters.status, { ...at('Status'), allowed: MACHINE_ACTION_STATUSES })));
	const requestor = readFilterText(node, filters.requestor, at('Requestor'));
	if (requestor !== undefined) clauses.push(eq('requestor', requestor));
	const createdAfter = readDate(this, i, filters.createdAfter, 'Created After');
	if (createdAfter) clauses.push(`creationDateTimeUtc gt ${dateTime(createdAfter).odataRaw}`);
	const filter = and(...clauses);

	const list = { path: '/api/machineactions', filter, endpoint: 'mdeMachineActions', operation: OPERATIONS.machineAction.getAll } as const;
	const actions = await readMdeList.call(this, i, list, limit);
	return toItems.call(this, actions, i);
}
