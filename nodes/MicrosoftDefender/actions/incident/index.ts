import type { INodeProperties } from 'n8n-workflow';

import * as addComment from './addComment.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';
import * as update from './update.operation';
import type { OperationParameter } from '../operations';

export { addComment, get, getAll, update };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['incident'] } },
		options: [
			{ name: 'Add Comment', value: 'addComment', action: 'Add a comment to an incident', description: 'Add a comment to an incident' },
			{ name: 'Get', value: 'get', action: 'Get an incident', description: 'Retrieve one incident by its ID' },
			{ name: 'Get Many', value: 'getAll', action: 'Get many incidents', description: 'List incidents, with filters on severity, status and time' },
			{ name: 'Update', value: 'update', action: 'Update an incident', description: 'Change the status, classification, determination, assignee or tags of an incident' },
		],
		default: 'getAll',
	} satisfies OperationParameter<'incident'>,
	...getAll.description,
	...get.description,
	...update.description,
	...addComment.description,
];
