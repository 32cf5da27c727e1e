import type { INodeProperties } from 'n8n-workflow';

import * as createOrUpdate from './createOrUpdate.operation';
import * as del from './delete.operation';
import * as getAll from './getAll.operation';
import type { OperationParameter } from '../operations';

export { createOrUpdate, del as delete, getAll };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['indicator'] } },
		options: [
			{ name: 'Create or Update', value: 'createOrUpdate', action: 'Create or update an indicator', description: 'Submit a file hash, IP address, URL, domain or certificate indicator (replaces one with the same value)' },
			{ name: 'Delete', value: 'delete', action: 'Delete an indicator', description: 'Delete an indicator by its ID' },
			{ name: 'Get Many', value: 'getAll', action: 'Get many indicators', description: 'List the custom indicators of the tenant' },
		],
		default: 'getAll',
	} satisfies OperationParameter<'indicator'>,
	...createOrUpdate.description,
	...del.description,
	...getAll.description,
];
