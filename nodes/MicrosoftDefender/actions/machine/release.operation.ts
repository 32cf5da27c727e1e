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
	commentProperty('Released by n8n', 'Why the machine is released from isolation.'),
	...waitProperties(),
	responseActionOptions(),
];

const displayOptions = { show: { resource: ['machine'], operation: ['release'] } };

export const description = updateDisplayOptions(displayOptions, properties);

const spec: ResponseActionSpec = {
	operation: 'release',
	endpoint: 'unisolate',
	type: 'Unisolate',
};

/** Release a machine from isolation. Returns the MachineAction (final state when waiting). */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const { action } = await runResponseAction.call(this, i, spec);
	return toItems.call(this, action as IDataObject, i);
}
