import type { INodeProperties } from 'n8n-workflow';

import * as get from './get.operation';
import * as getMachines from './getMachines.operation';
import type { OperationParameter } from '../operations';

export { get, getMachines };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['software'] } },
		options: [
			{ name: 'Get', value: 'get', action: 'Get a software product', description: 'Retrieve one software product by its ID' },
			{ name: 'Get Machines', value: 'getMachines', action: 'Get machines with a software product installed', description: 'List the machines that have a software product installed' },
		],
		default: 'get',
	} satisfies OperationParameter<'software'>,
	...get.description,
	...getMachines.description,
];
