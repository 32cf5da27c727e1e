import type { INodeProperties } from 'n8n-workflow';

import * as cancel from './cancel.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';
import type { OperationParameter } from '../operations';

export { cancel, get, getAll };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['machineAction'] } },
		options: [
			{ name: 'Cancel', value: 'cancel', action: 'Cancel a machine action', description: 'Cancel a pending machine action' },
			{ name: 'Get', value: 'get', action: 'Get a machine action', description: 'Retrieve one machine action by its ID' },
			{ name: 'Get Many', value: 'getAll', action: 'Get many machine actions', description: 'List machine actions, such as isolations and scans' },
		],
		default: 'getAll',
	} satisfies OperationParameter<'machineAction'>,
	...cancel.description,
	...get.description,
	...getAll.description,
];
