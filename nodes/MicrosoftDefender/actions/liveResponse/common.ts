import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { assertLiveResponseSucceeded, baseName, validateCommands, type LiveCommand } from '../../helpers/liveResponse';
import { requireText } from '../common';
import { machineLocator, resolveMachine, waitProperties } from '../machine/common';
import { OPERATIONS, type Operation } from '../operations';
import { downloadToBinary } from '../machine/links';
import { downloadTranscript, getResultLink, startLiveResponse, waitForLiveResponse } from './session';

export { machineLocator };

export function commentParameter(defaultComment: string): INodeProperties {
	return {
		displayName: 'Comment',
		name: 'comment',
		type: 'string',
		required: true,
		default: defaultComment,
		description: 'Why the session is run. Shown in the action center of the Defender portal.',
	};
}

/** Live Response results exist only once the session has finished, so waiting is on by default. */
export const waitParameters: INodeProperties[] = waitProperties({
	wait: true,
	waitDescription:
		'Whether to wait until the session has finished and return the results (script output, collected files). Off: returns the machine action at once; fetch it later with Machine Action → Get.',
	timeout: 900,
	timeoutDescription:
		'How long to wait. Scripts may run up to 10 minutes, and a session for an offline machine stays queued. When the timeout passes first, the node returns the last state with waitTimedOut set to true.',
});

export interface CommandResult {
	json: IDataObject;
	binary?: { name: string; data: IBinaryData };
}

export interface SessionOutcome {
	action: IDataObject;
	machineId: string;
	/** False when the node did not wait or the wait timed out: no results then. */
	finished: boolean;
	results: CommandResult[];
}

/** Summary fields of the session's machine action that every Live Response output carries. */
export function sessionFields(action: IDataObject): IDataObject {
	const out: IDataObject = {
		actionId: action.id,
		status: action.status,
		machineId: action.machineId,
		computerDnsName: action.computerDnsName,
	};
	for (const flag of ['waitTimedOut', 'hint', 'recoveredAfterError']) if (action[flag] !== undefined) out[flag] = action[flag];
	return out;
}

/**
 * Runs one session: validate, resolve the machine, POST runliveresponse, wait, then fetch each
 * command's result (transcripts as JSON, collected files streamed into binary data named by
 * `binaryName(index)`).
 */
export async function runSession(
	this: IExecuteFunctions,
	i: number,
	operationName: Operation<'liveResponse'>,
	commands: LiveCommand[],
	binaryName: (index: number) => string,
): Promise<SessionOutcome> {
	const operation = OPERATIONS.liveResponse[operationName];
	validateCommands.call(this, commands, i);
	const comment = requireText(this, i, 'comment', 'Comment', 'Microsoft shows the comment in the action center with the session.').trim();
	const { id: machineId } = await resolveMachine.call(this, i, operation);
	let action = await startLiveResponse.call(this, machineId, comment, commands, i, operation);
	const wait = this.getNodeParameter('waitForCompletion', i, true) as boolean;
	if (!wait) return { action, machineId, finished: false, results: [] };
	action = await waitForLiveResponse.call(this, action, i, operation);
	if (action.waitTimedOut) return { action, machineId, finished: false, results: [] };
	assertLiveResponseSucceeded.call(this, action, i);

	const results: CommandResult[] = [];
	for (let index = 0; index < commands.length; index++) {
		const c = commands[index];
		const param = (key: string) => c.params.find((p) => p.key === key)?.value ?? '';
		const json: IDataObject = { index, type: c.type };
		if (c.type === 'PutFile') {
			// Documented: PutFile has no result.
			results.push({ json: { ...json, fileName: param('FileName') } });
			continue;
		}
		const link = await getResultLink.call(this, String(action.id), index, i, operation);
		if (c.type === 'RunScript') {
			results.push({ json: { ...json, ...(await downloadTranscript.call(this, link, i, operation)), args: param('Args') } });
			continue;
		}
		const path = param('Path');
		const fileName = baseName(path);
		const data = await downloadToBinary.call(this, link, fileName, i, operation);
		const name = binaryName(index);
		results.push({
			json: { ...json, path, fileName: data.fileName ?? fileName, mimeType: data.mimeType, fileSize: data.fileSize, binaryProperty: name },
			binary: { name, data },
		});
	}
	return { action, machineId, finished: true, results };
}

/** A command result without its index and type (single-command operations). */
export function withoutCommandKeys(json: IDataObject | undefined): IDataObject {
	const out: IDataObject = { ...(json ?? {}) };
	delete out.index;
	delete out.type;
	return out;
}

/** One output item: the session fields, the given JSON, and the binaries of the results. */
export function sessionItem(i: number, outcome: SessionOutcome, json: IDataObject): INodeExecutionData[] {
	const item: INodeExecutionData = { json: { ...sessionFields(outcome.action), ...json }, pairedItem: { item: i } };
	const binaries = outcome.results.filter((r) => r.binary);
	if (binaries.length) {
		item.binary = {};
		for (const r of binaries) item.binary[r.binary!.name] = r.binary!.data;
	}
	return [item];
}

export function binaryPropertyParameter(description: string): INodeProperties {
	return {
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the output binary field to put the file in',
		description,
	};
}
