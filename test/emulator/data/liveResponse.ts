/* eslint-disable @n8n/community-nodes/no-restricted-imports */
/**
 * Live Response state of one tenant: the library, emulated device files and script behaviour,
 * and the per-command outcome of each LiveResponse machine action.
 *
 * Documented (Learn):
 *  - "Run live response commands on a device": commands PutFile (FileName), RunScript (ScriptName,
 *    Args), GetFile (Path), in that order; a failed command stops the ones after it; RunScript times
 *    out after 10 minutes; 25 concurrent sessions (429); one session per machine (400
 *    ActiveRequestAlreadyExists); command status Created / Completed / Failed.
 *  - "Get live response results": RunScript transcript {script_name, exit_code, script_output,
 *    script_errors}; the link is valid for 30 minutes.
 *  - "Investigate entities on devices using live response": getfile limit 3 GB; putfile limit
 *    300 MB on Windows, 10 MB on other platforms.
 *  - "Upload files to the live response library": 20 MB per file.
 * Not documented, played here as assumptions: the error texts of failed commands (missing library
 * file, size limits, script time-out), and that a GetFile result downloads as the raw file.
 */
import { createHash, createHmac } from 'node:crypto';
import { Readable } from 'node:stream';

import type { MachineActionRecord, MachineRecord } from './model';
import { iso7 } from './model';

export const LR_LIMITS = {
	/** Upload to library (API). */
	libraryUploadBytes: 20 * 1024 * 1024,
	getFileBytes: 3 * 1024 * 1024 * 1024,
	putFileWindowsBytes: 300 * 1024 * 1024,
	putFileOtherBytes: 10 * 1024 * 1024,
	runScriptTimeoutMs: 10 * 60 * 1000,
	concurrentSessions: 25,
	linkValidityMs: 30 * 60 * 1000,
};

export const COMMAND_ORDER = ['PutFile', 'RunScript', 'GetFile'];

export interface LibraryFile {
	fileName: string;
	content: Buffer;
	sha256: string;
	description: string | null;
	parametersDescription: string | null;
	hasParameters: boolean;
	creationTime: string;
	lastUpdatedTime: string;
	createdBy: string;
}

export interface ScriptBehaviour {
	exitCode?: number;
	output?: string;
	errors?: string;
	/** How long the script runs on the device; over 10 minutes the command times out. */
	runtimeMs?: number;
}

export interface LiveCommandInput {
	type: string;
	params: Array<{ key: string; value: string }>;
}

interface LiveCommandRecord extends LiveCommandInput {
	index: number;
	failed: boolean;
	errors: string[];
	result?: { kind: 'file'; path: string; size: number; content?: Buffer } | { kind: 'script'; transcript: Record<string, unknown> };
}

function param(c: LiveCommandInput, key: string): string | undefined {
	return c.params.find((p) => p.key.toLowerCase() === key.toLowerCase())?.value;
}

/** Deterministic bytes for an emulated device file of `size` bytes, generated in chunks. */
export function deviceFileStream(path: string, size: number, content?: Buffer): Readable {
	if (content) return Readable.from([content]);
	const line = Buffer.from(`emulated content of ${path}\n`);
	const chunk = Buffer.alloc(64 * 1024);
	for (let o = 0; o < chunk.length; o += line.length) line.copy(chunk, o);
	let left = size;
	return new Readable({
		read() {
			if (left <= 0) {
				this.push(null);
				return;
			}
			const n = Math.min(left, chunk.length);
			left -= n;
			this.push(n === chunk.length ? Buffer.from(chunk) : chunk.subarray(0, n));
		},
	});
}

export class LiveResponseState {
	readonly library = new Map<string, LibraryFile>();
	/** Emulated device files by lower-cased path (any machine); other paths are small text files. */
	readonly deviceFiles = new Map<string, { size: number; content?: Buffer }>();
	/** Script behaviour by lower-cased script name. */
	readonly scripts = new Map<string, ScriptBehaviour>();
	private readonly commandsByAction = new Map<string, LiveCommandRecord[]>();
	maxSessions = LR_LIMITS.concurrentSessions;

	constructor(
		private readonly sasKey: string,
		private readonly now: () => number,
	) {}

	uploadLibraryFile(o: {
		fileName: string;
		content: Buffer;
		description?: string | null;
		parametersDescription?: string | null;
		hasParameters?: boolean;
		override: boolean;
		createdBy: string;
	}): { file?: LibraryFile; exists?: boolean } {
		const key = o.fileName.toLowerCase();
		const old = this.library.get(key);
		if (old && !o.override) return { exists: true };
		const t = iso7(this.now());
		const file: LibraryFile = {
			fileName: o.fileName,
			content: o.content,
			sha256: createHash('sha256').update(o.content).digest('hex'),
			description: o.description ?? null,
			parametersDescription: o.parametersDescription ?? null,
			hasParameters: o.hasParameters ?? !!o.parametersDescription,
			creationTime: old?.creationTime ?? t,
			lastUpdatedTime: t,
			createdBy: o.createdBy,
		};
		this.library.set(key, file);
		return { file };
	}

	deleteLibraryFile(fileName: string): boolean {
		return this.library.delete(fileName.toLowerCase());
	}

	toLibraryFile(f: LibraryFile) {
		const out: Record<string, unknown> = {
			fileName: f.fileName,
			sha256: f.sha256,
			description: f.description,
			creationTime: f.creationTime,
			lastUpdatedTime: f.lastUpdatedTime,
			createdBy: f.createdBy,
			hasParameters: f.hasParameters,
		};
		if (f.parametersDescription !== null) out.parametersDescription = f.parametersDescription;
		return out;
	}

	/** Control: a device file of `size` bytes (or with `content`) at `path` on every machine. */
	setDeviceFile(path: string, size: number, content?: string): void {
		const buf = content === undefined ? undefined : Buffer.from(content, 'utf8');
		this.deviceFiles.set(path.toLowerCase(), { size: buf ? buf.length : size, content: buf });
	}

	setScriptBehaviour(scriptName: string, b: ScriptBehaviour): void {
		this.scripts.set(scriptName.toLowerCase(), b);
	}

	/**
	 * Works out what each command will do on the machine. Returns the index of the first command
	 * that fails (undefined when all succeed). Commands after a failure never run.
	 */
	plan(action: MachineActionRecord, machine: MachineRecord, commands: LiveCommandInput[]): number | undefined {
		const windows = machine.osPlatform.startsWith('Windows');
		const records: LiveCommandRecord[] = [];
		let failedAt: number | undefined;
		commands.forEach((c, index) => {
			const r: LiveCommandRecord = { ...c, index, failed: false, errors: [] };
			records.push(r);
			if (failedAt !== undefined) return;
			const fail = (message: string) => {
				r.failed = true;
				r.errors.push(message);
				failedAt = index;
			};
			if (c.type === 'PutFile') {
				const name = param(c, 'FileName') ?? '';
				const f = this.library.get(name.toLowerCase());
				if (!f) return fail(`File '${name}' was not found in the live response library.`);
				const limit = windows ? LR_LIMITS.putFileWindowsBytes : LR_LIMITS.putFileOtherBytes;
				if (f.content.length > limit)
					return fail(`File '${name}' is ${f.content.length} bytes; putfile is limited to ${limit / 1024 / 1024} MB on ${machine.osPlatform}.`);
			} else if (c.type === 'RunScript') {
				const name = param(c, 'ScriptName') ?? '';
				if (!this.library.get(name.toLowerCase())) return fail(`Script '${name}' was not found in the live response library.`);
				const b = this.scripts.get(name.toLowerCase()) ?? {};
				if ((b.runtimeMs ?? 0) > LR_LIMITS.runScriptTimeoutMs)
					return fail(`Script '${name}' timed out after 10 minutes (RunScript time-out).`);
				const args = param(c, 'Args') ?? '';
				r.result = {
					kind: 'script',
					transcript: {
						script_name: name,
						exit_code: b.exitCode ?? 0,
						script_output: b.output ?? `Ran ${name}${args ? ` with arguments ${args}` : ''} on ${machine.computerDnsName}\n`,
						script_errors: b.errors ?? '',
					},
				};
			} else if (c.type === 'GetFile') {
				const path = param(c, 'Path') ?? '';
				const known = this.deviceFiles.get(path.toLowerCase());
				const size = known?.size ?? Buffer.byteLength(`emulated content of ${path}\n`) * 4;
				if (size > LR_LIMITS.getFileBytes) return fail(`File '${path}' is larger than the 3 GB getfile limit.`);
				r.result = { kind: 'file', path, size, content: known?.content };
			}
		});
		this.commandsByAction.set(action.id, records);
		return failedAt;
	}

	/** The `commands` array of a LiveResponse machine action in the given status. */
	commandsOf(a: MachineActionRecord, status: string, sinceMs: number): unknown[] {
		const records = this.commandsByAction.get(a.id);
		if (!records) return [];
		const start = iso7(a.createdMs + a.timing.pendingMs);
		const end = iso7(sinceMs);
		return records.map((r) => {
			let commandStatus = 'Created';
			if (status === 'Succeeded') commandStatus = 'Completed';
			else if (status === 'Failed') commandStatus = r.failed ? 'Failed' : records.some((x) => x.failed && x.index < r.index) ? 'Created' : 'Completed';
			const ran = commandStatus !== 'Created';
			return {
				index: r.index,
				startTime: ran ? start : null,
				endTime: ran ? end : null,
				commandStatus,
				errors: commandStatus === 'Failed' ? [...r.errors] : [],
				command: { type: r.type, params: r.params.map((p) => ({ ...p })) },
			};
		});
	}

	result(actionId: string, index: number) {
		return this.commandsByAction.get(actionId)?.[index];
	}

	sig(actionId: string, index: number, expiry: string): string {
		return createHmac('sha256', this.sasKey).update(`lr\n${actionId}\n${index}\n${expiry}`).digest('base64url');
	}
}
