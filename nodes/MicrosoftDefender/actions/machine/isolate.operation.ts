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
	commentProperty('Isolated by n8n', 'Why the machine is isolated.'),
	{
		displayName: 'Isolation Type',
		name: 'isolationType',
		type: 'options',
		options: [
			{
				name: 'Full',
				value: 'Full',
				description: 'Cut every network connection except to the Defender service',
			},
			{
				name: 'Selective',
				value: 'Selective',
				description: 'Keep Outlook, Teams and Skype for Business working (Windows 10 1709+)',
			},
			{
				name: 'Unmanaged Device',
				value: 'UnManagedDevice',
				description: 'Contain a device that is not onboarded to Defender',
			},
		],
		default: 'Full',
	},
	...waitProperties(),
	responseActionOptions(),
];

const displayOptions = { show: { resource: ['machine'], operation: ['isolate'] } };

export const description = updateDisplayOptions(displayOptions, properties);

const spec: ResponseActionSpec = {
	operation: 'isolate',
	endpoint: 'isolate',
	type: 'Isolate',
	extraBody(this: IExecuteFunctions, i: number) {
		return ({ IsolationType: this.getNodeParameter('isolationType', i, 'Full') as string });
	},
};

/** Isolate a machine from the network. Returns the MachineAction (final state when waiting). */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const { action } = await runResponseAction.call(this, i, spec);
	return toItems.call(this, action as IDataObject, i);
}
