import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { commentParameter, machineLocator, runSession, sessionItem, waitParameters, withoutCommandKeys } from './common';

const properties: INodeProperties[] = [
	machineLocator,
	{
		displayName: 'Script Name',
		name: 'scriptName',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. collect-triage.ps1',
		description: 'A PowerShell or Bash script in the live response library (Live Response → List Library Files)',
	},
	{
		displayName: 'Arguments',
		name: 'args',
		type: 'string',
		default: '',
		placeholder: 'e.g. -ProcessName OfficeClickToRun',
		description: 'Passed to the script as is',
	},
	commentParameter('Script run by n8n'),
	...waitParameters,
];

const displayOptions = { show: { resource: ['liveResponse'], operation: ['runScript'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** Runs a library script (times out on the device after 10 minutes); returns exit code and output. */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const scriptName = String(this.getNodeParameter('scriptName', i)).trim();
	const args = String(this.getNodeParameter('args', i, ''));
	const params = [{ key: 'ScriptName', value: scriptName }];
	if (args.trim() !== '') params.push({ key: 'Args', value: args });
	const outcome = await runSession.call(this, i, 'runScript', [{ type: 'RunScript', params }], () => 'data');
	return sessionItem(i, outcome, { scriptName, ...withoutCommandKeys(outcome.results[0]?.json) });
}
