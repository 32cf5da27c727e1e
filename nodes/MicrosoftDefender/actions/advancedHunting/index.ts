import type { INodeProperties } from 'n8n-workflow';

import * as runQuery from './runQuery.operation';
import type { OperationParameter } from '../operations';

export { runQuery };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['advancedHunting'] } },
		options: [{ name: 'Run Query', value: 'runQuery', action: 'Run an advanced hunting query', description: 'Run a KQL query and return one item per result row' }],
		default: 'runQuery',
	} satisfies OperationParameter<'advancedHunting'>,
	...runQuery.description,
];
