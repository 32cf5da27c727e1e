import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

/**
 * Live Response through the MDE API. Microsoft's documentation (Learn page titles):
 *  - "Run live response commands on a device": POST /api/machines/{id}/runliveresponse with
 *    {Comment, Commands:[{type, params:[{key, value}]}]}; types PutFile (FileName), RunScript
 *    (ScriptName, Args), GetFile (Path), in that order; 10 calls/min, 25 concurrent sessions
 *    (both 429); one session per machine (400 ActiveRequestAlreadyExists); an unavailable machine's
 *    session is queued for up to three days; RunScript times out after 10 minutes; a failed command
 *    stops the ones after it. Permission Machine.LiveResponse.
 *  - "Get live response results": GET /api/machineactions/{id}/GetLiveResponseResultDownloadLink(index=N)
 *    returns {value: link} valid for 30 minutes; a RunScript result is a JSON transcript
 *    {script_name, exit_code, script_output, script_errors}. Application permission Machine.Read.All
 *    or Machine.ReadWrite.All.
 *  - "Investigate entities on devices using live response": getfile 3 GB; putfile 300 MB (Windows),
 *    10 MB (other platforms).
 */
export const LIVE_RESPONSE_LIMITS = {
	getFileBytes: 3 * 1024 ** 3,
	putFileWindowsBytes: 300 * 1024 ** 2,
	putFileOtherBytes: 10 * 1024 ** 2,
	libraryUploadBytes: 20 * 1024 ** 2,
	runScriptTimeoutMinutes: 10,
	concurrentSessions: 25,
	callsPerMinute: 10,
};

export const COMMAND_TYPES = ['PutFile', 'RunScript', 'GetFile'] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

export interface LiveCommand {
	type: CommandType;
	params: Array<{ key: string; value: string }>;
}

const REQUIRED: Record<CommandType, string> = { PutFile: 'FileName', RunScript: 'ScriptName', GetFile: 'Path' };

/** Checks what Microsoft documents before anything is sent: known types, the order, the required parameter. */
export function validateCommands(this: IExecuteFunctions, commands: LiveCommand[], i: number): void {
	if (commands.length === 0) {
		throw new NodeOperationError(this.getNode(), `Add at least one command (item ${i})`, { itemIndex: i });
	}
	let last = 0;
	commands.forEach((c, index) => {
		const order = COMMAND_TYPES.indexOf(c.type);
		if (order === -1) {
			throw new NodeOperationError(this.getNode(), `Command ${index + 1} has the unknown type "${String(c.type)}" (item ${i})`, {
				itemIndex: i,
				description: 'Live Response runs PutFile, RunScript and GetFile commands.',
			});
		}
		if (order < last) {
			throw new NodeOperationError(this.getNode(), `Command ${index + 1} (${c.type}) comes after a ${COMMAND_TYPES[last]} command (item ${i})`, {
				itemIndex: i,
				description: 'Microsoft runs the commands only in the order PutFile, then RunScript, then GetFile (any number of each). Reorder the list.',
			});
		}
		last = order;
		const key = REQUIRED[c.type];
		const value = c.params.find((p) => p.key === key)?.value;
		if (typeof value !== 'string' || value.trim() === '') {
			throw new NodeOperationError(this.getNode(), `Command ${index + 1} (${c.type}) needs a ${key} (item ${i})`, { itemIndex: i });
		}
	});
}

/** Why a command failed, in words that say which limit and what to do. */
export function explainCommandFailure(type: string, errors: string[]): string {
	const text = errors.join(' ');
	if (/not (be )?found in the (live response )?library|not in the library|library.*not found/i.test(text)) {
		return `The ${type === 'PutFile' ? 'file' : 'script'} is not in the live response library. Upload it first (Live Response → Upload Library File, or the portal's Library management), and check the exact file name with Live Response → List Library Files.`;
	}
	if (/timed? ?out/i.test(text)) {
		return `RunScript commands stop after ${LIVE_RESPONSE_LIMITS.runScriptTimeoutMinutes} minutes (Microsoft's limit). Make the script finish sooner, e.g. start the long work in the background and collect its output with a later Get File.`;
	}
	if (/3 ?GB|300 ?MB|10 ?MB|too large|larger than|size limit|exceeds/i.test(text)) {
		return 'The file is over a Live Response size limit: Get File collects up to 3 GB; Put File pushes up to 300 MB to Windows and 10 MB to macOS/Linux. Compress or split the file on the device first (e.g. with a library script), or collect it another way.';
	}
	return 'See the command errors; the commands after a failed one were not run.';
}

/** Turns a final state other than Succeeded into a clear error. */
export function assertLiveResponseSucceeded(this: IExecuteFunctions, action: IDataObject, i: number): void {
	const status = String(action.status);
	if (status === 'Succeeded') return;
	const id = String(action.id);
	if (status === 'Failed') {
		const commands = (action.commands as IDataObject[] | undefined) ?? [];
		const failed = commands.find((c) => c.commandStatus === 'Failed');
		const type = String((failed?.command as IDataObject | undefined)?.type ?? 'command');
		const errors = ((failed?.errors as unknown[]) ?? []).map(String);
		const index = failed?.index !== undefined ? Number(failed.index) + 1 : undefined;
		throw new NodeOperationError(
			this.getNode(),
			`Live response command ${index ?? '?'} (${type}) failed: ${errors.join('; ') || 'no error text from Microsoft'}`,
			{ itemIndex: i, description: `${explainCommandFailure(type, errors)} (machine action ${id})` },
		);
	}
	if (status === 'TimeOut') {
		throw new NodeOperationError(this.getNode(), `The live response session timed out before the machine ran it (machine action ${id})`, {
			itemIndex: i,
			description:
				'Defender queues a session for a machine that is not available (offline, asleep) for up to three days and then times it out. Check the machine with Machine → Get (healthStatus, lastSeen) and run again when it is online.',
		});
	}
	if (status === 'Cancelled') {
		throw new NodeOperationError(this.getNode(), `The live response session was cancelled (machine action ${id})`, {
			itemIndex: i,
			description: `Cancelled by ${String(action.cancellationRequestor ?? 'someone')}${action.cancellationComment ? `: ${String(action.cancellationComment)}` : ''}.`,
		});
	}
	throw new NodeOperationError(this.getNode(), `The live response session ended with status ${status} (machine action ${id})`, { itemIndex: i });
}

const MIME_BY_EXTENSION: Record<string, string> = {
	txt: 'text/plain',
	log: 'text/plain',
	csv: 'text/csv',
	json: 'application/json',
	xml: 'application/xml',
	htm: 'text/html',
	html: 'text/html',
	zip: 'application/zip',
	gz: 'application/gzip',
	'7z': 'application/x-7z-compressed',
	ps1: 'text/plain',
	sh: 'text/x-shellscript',
	py: 'text/x-python',
	pdf: 'application/pdf',
	png: 'image/png',
	jpg: 'image/jpeg',
	exe: 'application/vnd.microsoft.portable-executable',
	dll: 'application/vnd.microsoft.portable-executable',
	evtx: 'application/octet-stream',
	dmp: 'application/octet-stream',
};

/** File name of a device path, Windows or POSIX. */
export function baseName(path: string): string {
	const parts = path.split(/[\\/]/).filter((p) => p !== '');
	return parts[parts.length - 1] ?? 'file';
}

export function mimeTypeOf(fileName: string, contentType?: string): string {
	const ct = (contentType ?? '').split(';')[0].trim().toLowerCase();
	if (ct && ct !== 'application/octet-stream' && ct !== 'binary/octet-stream') return ct;
	const ext = fileName.includes('.') ? fileName.split('.').pop()!.toLowerCase() : '';
	return MIME_BY_EXTENSION[ext] ?? 'application/octet-stream';
}
