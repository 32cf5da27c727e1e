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
		displayOptions: { show: { resource: ['alert'] } },
		options: [
			{ name: 'Add Comment', value: 'addComment', action: 'Add a comment to an alert', description: 'Add a comment to an alert' },
			{ name: 'Get', value: 'get', action: 'Get an alert', description: 'Retrieve one alert by its ID' },
			{ name: 'Get Many', value: 'getAll', action: 'Get many alerts', description: 'List alerts, with filters on severity, status, source and time' },
			{ name: 'Update', value: 'update', action: 'Update an alert', description: 'Change the status, classification, determination or assignee of an alert' },
		],
		default: 'getAll',
	} satisfies OperationParameter<'alert'>,
	{
		displayName: 'API',
		name: 'api',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['alert'] } },
		options: [
			{
				name: 'Microsoft Graph (Recommended)',
				value: 'graph',
				description: 'Alerts of every Defender product (alerts_v2)',
			},
			{
				name: 'Defender for Endpoint API',
				value: 'mde',
				description: 'Defender for Endpoint alerts only (alerts of other Defender products are in Microsoft Graph)',
			},
		],
		default: 'graph',
	},
	...getAll.description,
	...get.description,
	...update.description,
	...addComment.description,
];
