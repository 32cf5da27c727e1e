import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { ResponseActionSpec } from './common';
import {
	commentProperty,
	machineLocator,
	responseActionOptions,
	runResponseAction,
	toItems,
	waitProperties,
} from './common';

const properties: INodeProperties[] = [
	machineLocator,
	commentProperty('App execution restricted by n8n', 'Why app execution is restricted.'),
	...waitProperties(),
	responseActionOptions(),
];

const displayOptions = { show: { resource: ['machine'], operation: ['restrictAppExecution'] } };

export const description = updateDisplayOptions(displayOptions, properties);

const spec: ResponseActionSpec = {
	operation: 'restrictAppExecution',
	endpoint: 'restrictCodeExecution',
	type: 'RestrictCodeExecution',
};

/** Allow only Microsoft-signed apps to run. Returns the MachineAction (final state when waiting). */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const { action } = await runResponseAction.call(this, i, spec);
	return toItems.call(this, action as IDataObject, i);
}
