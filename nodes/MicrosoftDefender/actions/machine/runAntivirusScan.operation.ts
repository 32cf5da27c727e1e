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
	commentProperty('Antivirus scan started by n8n', 'Why the scan is run.'),
	{
		displayName: 'Scan Type',
		name: 'scanType',
		type: 'options',
		options: [
			{ name: 'Full', value: 'Full', description: 'Scan every file (can take hours)' },
			{ name: 'Quick', value: 'Quick', description: 'Scan the usual malware locations' },
		],
		default: 'Quick',
	},
	...waitProperties(),
	responseActionOptions(),
];

const displayOptions = { show: { resource: ['machine'], operation: ['runAntivirusScan'] } };

export const description = updateDisplayOptions(displayOptions, properties);

const spec: ResponseActionSpec = {
	operation: 'runAntivirusScan',
	endpoint: 'runAntiVirusScan',
	type: 'RunAntiVirusScan',
	extraBody(this: IExecuteFunctions, i: number) {
		return ({ ScanType: this.getNodeParameter('scanType', i, 'Quick') as string });
	},
};

/** Run a Microsoft Defender Antivirus scan. Returns the MachineAction (final state when waiting). */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const { action } = await runResponseAction.call(this, i, spec);
	return toItems.call(this, action as IDataObject, i);
}
