import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { CommandType, LiveCommand } from '../../helpers/liveResponse';
import { commentParameter, machineLocator, runSession, sessionItem, waitParameters } from './common';

const properties: INodeProperties[] = [
	machineLocator,
	{
		displayName: 'Commands',
		name: 'commands',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		default: {},
		placeholder: 'Add command',
		description:
			'Run in one session, in the order Put File, Run Script, Get File (any number of each). A failed command stops the ones after it.',
		options: [
			{
				displayName: 'Command',
				name: 'command',
				values: [
					{
						displayName: 'Type',
						name: 'type',
						type: 'options',
						default: 'GetFile',
						options: [
							{ name: 'Get File', value: 'GetFile', description: 'Collect a file from the machine (up to 3 GB)' },
							{ name: 'Put File', value: 'PutFile', description: 'Put a library file on the machine' },
							{ name: 'Run Script', value: 'RunScript', description: 'Run a library script (10-minute limit)' },
						],
					},
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						default: '',
						description: 'Get File: the path on the machine. Put File: the library file name. Run Script: the library script name.',
					},
					{
						displayName: 'Script Arguments',
						name: 'args',
						type: 'string',
						default: '',
						displayOptions: { show: { type: ['RunScript'] } },
					},
				],
			},
		],
	},
	{
		displayName: 'File Field Prefix',
		name: 'binaryPropertyPrefix',
		type: 'string',
		default: 'file',
		description: 'Collected files go into binary fields named prefix + command index, e.g. file0, file2',
	},
	commentParameter('Live response commands run by n8n'),
	...waitParameters,
];

const displayOptions = { show: { resource: ['liveResponse'], operation: ['runCommands'] } };

export const description = updateDisplayOptions(displayOptions, properties);

const KEY: Record<CommandType, string> = { GetFile: 'Path', PutFile: 'FileName', RunScript: 'ScriptName' };

/** The raw command list of one session; one output item with every command's result. */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const raw = (this.getNodeParameter('commands', i, {}) as IDataObject).command as IDataObject[] | undefined;
	const commands: LiveCommand[] = (raw ?? []).map((c) => {
		const type = String(c.type) as CommandType;
		const params = [{ key: KEY[type] ?? 'Path', value: String(c.value ?? '').trim() }];
		if (type === 'RunScript' && String(c.args ?? '').trim() !== '') params.push({ key: 'Args', value: String(c.args) });
		return { type, params };
	});
	const prefix = String(this.getNodeParameter('binaryPropertyPrefix', i, 'file')).trim() || 'file';
	const outcome = await runSession.call(this, i, 'runCommands', commands, (index) => `${prefix}${index}`);
	return sessionItem(i, outcome, { commands: outcome.finished ? outcome.results.map((r) => r.json) : (outcome.action.commands as IDataObject[]) ?? [] });
}
