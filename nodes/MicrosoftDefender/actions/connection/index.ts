import type { INodeProperties } from 'n8n-workflow';

import * as checkPermissions from './checkPermissions.operation';
import type { OperationParameter } from '../operations';

export { checkPermissions };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['connection'] } },
		options: [
			{
				name: 'Check Permissions',
				value: 'checkPermissions',
				action: 'Check the permissions of the app',
				description:
					'List, for every operation of this node, whether the app registration may run it and which permission to grant if not',
			},
		],
		default: 'checkPermissions',
	} satisfies OperationParameter<'connection'>,
	...checkPermissions.description,
];
