import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { validateValue } from '../../helpers/validate';
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
	commentProperty('File quarantined by n8n', 'Why the file is stopped and quarantined.'),
	{
		displayName: 'SHA1',
		name: 'sha1',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 87662bc3d60e4200ceaf7aae249d1c343f4b83c9',
		description: 'SHA-1 of the file to stop and quarantine (only SHA-1 is supported by Microsoft)',
	},
	...waitProperties(),
	responseActionOptions(),
];

const displayOptions = { show: { resource: ['machine'], operation: ['stopAndQuarantineFile'] } };

export const description = updateDisplayOptions(displayOptions, properties);

const spec: ResponseActionSpec = {
	operation: 'stopAndQuarantineFile',
	endpoint: 'StopAndQuarantineFile',
	type: 'StopAndQuarantineFile',
	extraBody(this: IExecuteFunctions, i: number) {
		return ({ Sha1: validateValue(this.getNode(), 'sha1', this.getNodeParameter('sha1', i), { parameter: 'SHA1', itemIndex: i }).toLowerCase() });
	},
	sha1: (body) => body.Sha1 as string,
};

/** Stop a process and quarantine its file. Returns the MachineAction (final state when waiting). */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const { action } = await runResponseAction.call(this, i, spec);
	return toItems.call(this, action as IDataObject, i);
}
