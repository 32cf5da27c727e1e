/**
 * Live Response operations against the emulator over real sockets, with n8n-core's own binary
 * data code (filesystem mode) receiving the collected files.
 */
import { createHash } from 'node:crypto';

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { emulatorCredentials } from '../harness';
import { apiCalls, byId, node, startEmu, storeOf, windowsMachine, type Emulator } from './node.helpers';
import { readBinary, runNodeWithCoreBinary, startCoreBinary, type CoreBinary } from './n8nBinary.helpers';

type RunOpts = { items?: INodeExecutionData[]; continueOnFail?: boolean; app?: 'full' | 'readonly'; nodeType?: string };

describe('live response (emulator, n8n-core binary data)', () => {
	let emu: Emulator;
	let binary: CoreBinary;
	let machineId: string;

	async function run(emulator: Emulator, parameters: IDataObject, o: RunOpts = {}): Promise<INodeExecutionData[]> {
		const out = await runNodeWithCoreBinary(node, {
			parameters: { resource: 'liveResponse', pollInterval: 1, ...parameters },
			credentials: emulatorCredentials(emulator, { app: o.app ?? 'full', tenant: 'A' }),
			items: o.items ?? [{ json: {} }],
			continueOnFail: o.continueOnFail ?? false,
			nodeType: o.nodeType,
		});
		return out[0];
	}

	async function runError(parameters: IDataObject, o: RunOpts = {}) {
		try {
			await run(emu, parameters, o);
		} catch (error) {
			return error as Error & { description?: string; httpCode?: string };
		}
		throw new Error('expected the node to fail');
	}

	async function upload(fileName: string, content: string | Buffer, extra: IDataObject = {}) {
		const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
		return await run(
			emu,
			{ operation: 'uploadLibraryFile', binaryPropertyName: 'data', ...extra },
			{ items: [{ json: {}, binary: { data: { data: data.toString('base64'), mimeType: 'text/plain', fileName } } }] },
		);
	}

	const machine = () => byId(machineId);

	beforeAll(async () => {
		binary = await startCoreBinary('filesystem');
		emu = await startEmu({ sizes: { machines: 12, alerts: 5, incidents: 2, huntingRows: 10 }, actionTiming: { pendingMs: 100, inProgressMs: 100 } });
		machineId = String(windowsMachine(emu).id);
	});
	afterAll(async () => {
		await emu.close();
		binary.close();
	});
	beforeEach(() => emu.clearLog());

	it('Get File: the collected file becomes n8n binary data with file name and MIME type, readable by the next node', async () => {
		storeOf(emu).setLiveResponseFile('C:\\Windows\\Temp\\evidence.log', 0, 'line one\nline two\n');
		const [out] = await run(emu, { operation: 'getFile', machineId: machine(), path: 'C:\\Windows\\Temp\\evidence.log', binaryPropertyName: 'evidence' });
		expect(out.pairedItem).toEqual({ item: 0 });
		expect(out.json).toMatchObject({ status: 'Succeeded', machineId, path: 'C:\\Windows\\Temp\\evidence.log', fileName: 'evidence.log', mimeType: 'text/plain' });
		const bin = out.binary!.evidence;
		expect(bin.fileName).toBe('evidence.log');
		expect(bin.mimeType).toBe('text/plain');
		// Filesystem mode: the data lives in n8n's binary store, not inline in the item.
		expect(bin.id).toMatch(/^filesystem/);
		expect((await readBinary(bin)).toString('utf8')).toBe('line one\nline two\n');
		// Documented request shape: one session, the result link, the SAS download without a token.
		const post = apiCalls(emu, 'POST', '/runliveresponse');
		expect(post).toHaveLength(1);
		expect(apiCalls(emu, 'GET', 'GetLiveResponseResultDownloadLink(index=0)')).toHaveLength(1);
		expect(emu.log.find((e) => e.path.includes('/_files/') && e.path.includes('/liveresponse/'))?.status).toBe(200);
		const action = storeOf(emu).actions.find((a: IDataObject) => a.id === out.json.actionId);
		expect(action.type).toBe('LiveResponse');
	});

	it('Get File: a large file (24 MB) is streamed into the binary store byte for byte', async () => {
		const size = 24 * 1024 * 1024;
		storeOf(emu).setLiveResponseFile('/var/log/big.bin', size);
		const [out] = await run(emu, { operation: 'getFile', machineId: machine(), path: '/var/log/big.bin' });
		const data = await readBinary(out.binary!.data);
		expect(data.length).toBe(size);
		const line = Buffer.from('emulated content of /var/log/big.bin\n');
		expect(data.subarray(0, line.length).equals(line)).toBe(true);
		expect(out.binary!.data.mimeType).toBe('application/octet-stream');
		expect(createHash('sha256').update(data).digest('hex')).toHaveLength(64);
	});

	it('Library: upload (multipart, with description and parameters description), list, refuse a duplicate, override, delete', async () => {
		const [saved] = await upload('triage.ps1', 'Write-Output "triage"', { description: 'Collects triage data', parametersDescription: '-Deep' });
		expect(saved.json).toMatchObject({ fileName: 'triage.ps1', description: 'Collects triage data', parametersDescription: '-Deep', hasParameters: true });
		expect(saved.json.sha256).toBe(createHash('sha256').update('Write-Output "triage"').digest('hex'));

		const listed = await run(emu, { operation: 'listLibraryFiles' });
		expect(listed.map((i) => i.json.fileName)).toContain('triage.ps1');

		const dup = await runError(
			{ operation: 'uploadLibraryFile', binaryPropertyName: 'data' },
			{ items: [{ json: {}, binary: { data: { data: Buffer.from('x').toString('base64'), mimeType: 'text/plain', fileName: 'triage.ps1' } } }] },
		);
		expect(dup.httpCode).toBe('400');
		expect(dup.message).toMatch(/already exists|Bad request|400/i);

		const [over] = await upload('triage.ps1', 'Write-Output "v2"', { overrideIfExists: true });
		expect(over.json.sha256).toBe(createHash('sha256').update('Write-Output "v2"').digest('hex'));

		const [deleted] = await run(emu, { operation: 'deleteLibraryFile', fileName: 'triage.ps1' });
		expect(deleted.json).toEqual({ deleted: true, fileName: 'triage.ps1' });
		const gone = await runError({ operation: 'deleteLibraryFile', fileName: 'triage.ps1' });
		expect(gone.httpCode).toBe('404');
	});

	it('Library: a file over 20 MB or with a bad name is refused before anything is sent', async () => {
		const big = Buffer.alloc(20 * 1024 * 1024 + 1, 65);
		const tooBig = await runError(
			{ operation: 'uploadLibraryFile', binaryPropertyName: 'data' },
			{ items: [{ json: {}, binary: { data: { data: big.toString('base64'), mimeType: 'application/octet-stream', fileName: 'big.exe' } } }] },
		);
		expect(tooBig.message).toMatch(/20 MB/);
		const badName = await runError({ operation: 'deleteLibraryFile', fileName: '../etc/passwd' });
		expect(badName.message).toMatch(/not a valid live response library file name/);
		expect(apiCalls(emu)).toHaveLength(0);
	});

	it('Run Script: exit code, output and errors of the transcript as JSON', async () => {
		await upload('collect.ps1', 'param($p) Write-Output $p');
		storeOf(emu).setLiveResponseScript('collect.ps1', { exitCode: 3, output: 'collected 12 items\n', errors: 'warning: slow disk' });
		const [out] = await run(emu, { operation: 'runScript', machineId: machine(), scriptName: 'collect.ps1', args: '-Deep' });
		expect(out.json).toMatchObject({ status: 'Succeeded', scriptName: 'collect.ps1', exitCode: 3, scriptOutput: 'collected 12 items\n', scriptErrors: 'warning: slow disk', args: '-Deep' });
		expect(out.binary).toBeUndefined();
	});

	it('Put File and Run Commands: one session, results per command, files as binary fields prefix+index', async () => {
		await upload('tool.exe', 'MZ fake tool');
		await upload('hash.ps1', 'Get-FileHash');
		const [put] = await run(emu, { operation: 'putFile', machineId: machine(), fileName: 'tool.exe' });
		expect(put.json).toMatchObject({ status: 'Succeeded', fileName: 'tool.exe' });

		storeOf(emu).setLiveResponseFile('C:\\a.txt', 0, 'AAA');
		storeOf(emu).setLiveResponseFile('C:\\b.json', 0, '{"b":1}');
		const [out] = await run(emu, {
			operation: 'runCommands',
			machineId: machine(),
			commands: {
				command: [
					{ type: 'PutFile', value: 'tool.exe' },
					{ type: 'RunScript', value: 'hash.ps1', args: 'C:\\a.txt' },
					{ type: 'GetFile', value: 'C:\\a.txt' },
					{ type: 'GetFile', value: 'C:\\b.json' },
				],
			},
		});
		const commands = out.json.commands as IDataObject[];
		expect(commands.map((c) => c.type)).toEqual(['PutFile', 'RunScript', 'GetFile', 'GetFile']);
		expect(commands[1]).toMatchObject({ exitCode: 0, scriptName: 'hash.ps1' });
		expect(commands[2]).toMatchObject({ fileName: 'a.txt', binaryProperty: 'file2' });
		expect(Object.keys(out.binary!)).toEqual(['file2', 'file3']);
		expect((await readBinary(out.binary!.file2)).toString()).toBe('AAA');
		expect(out.binary!.file3.mimeType).toBe('application/json');
	});

	it('Run Commands: commands out of the documented order are refused before anything is sent', async () => {
		const error = await runError({
			operation: 'runCommands',
			machineId: machine(),
			commands: { command: [{ type: 'GetFile', value: 'C:\\a.txt' }, { type: 'PutFile', value: 'tool.exe' }] },
		});
		expect(error.message).toMatch(/comes after a GetFile command/);
		expect(error.description).toMatch(/PutFile, then RunScript, then GetFile/);
		expect(apiCalls(emu)).toHaveLength(0);
	});

	it('errors say which limit and what to do: script not in the library, script time-out, file over 3 GB', async () => {
		const missing = await runError({ operation: 'runScript', machineId: machine(), scriptName: 'nope.ps1' });
		expect(missing.message).toMatch(/failed: Script 'nope.ps1' was not found/);
		expect(missing.description).toMatch(/Upload it first/);

		await upload('slow.ps1', 'Start-Sleep 900');
		storeOf(emu).setLiveResponseScript('slow.ps1', { runtimeMs: 11 * 60 * 1000 });
		const slow = await runError({ operation: 'runScript', machineId: machine(), scriptName: 'slow.ps1' });
		expect(slow.description).toMatch(/stop after 10 minutes/);

		storeOf(emu).setLiveResponseFile('D:\\huge.vhdx', 4 * 1024 ** 3);
		const huge = await runError({ operation: 'getFile', machineId: machine(), path: 'D:\\huge.vhdx' });
		expect(huge.description).toMatch(/Get File collects up to 3 GB/);
	});

	it('errors: a session already running on the machine, and the tenant session limit (429)', async () => {
		const other = String(windowsMachine(emu, 1).id);
		storeOf(emu).setActionBehaviour(other, { pendingMs: 3_600_000, inProgressMs: 1000 });
		const [first] = await run(emu, { operation: 'getFile', machineId: byId(other), path: 'C:\\x.txt', waitForCompletion: false });
		expect(first.json.status).toBe('Pending');
		const busy = await runError({ operation: 'getFile', machineId: byId(other), path: 'C:\\x.txt' });
		expect(busy.message).toMatch(/already running on this machine \(machine action /);
		expect(busy.description).toMatch(/one live response session per machine/);

		storeOf(emu).setLiveResponseMaxSessions(1);
		try {
			const limited = await runError({ operation: 'getFile', machineId: machine(), path: 'C:\\x.txt', requestOptions: { maxRetries: 0 } });
			expect(limited.httpCode).toBe('429');
			expect(limited.description).toMatch(/25 concurrently running sessions per tenant/);
		} finally {
			storeOf(emu).setLiveResponseMaxSessions(25);
		}
	});

	it('errors: an offline machine whose queued session times out', async () => {
		const offline = String(windowsMachine(emu, 2).id);
		storeOf(emu).setActionBehaviour(offline, { outcome: 'TimeOut', pendingMs: 100, inProgressMs: 100 });
		const error = await runError({ operation: 'getFile', machineId: byId(offline), path: 'C:\\x.txt' });
		expect(error.message).toMatch(/timed out before the machine ran it/);
		expect(error.description).toMatch(/up to three days/);
	});

	it('a wait that times out while the session is queued returns the state with a hint, not a file', async () => {
		const queued = String(windowsMachine(emu, 3).id);
		storeOf(emu).setActionBehaviour(queued, { pendingMs: 3_600_000, inProgressMs: 1000 });
		const [out] = await run(emu, { operation: 'getFile', machineId: byId(queued), path: 'C:\\x.txt', waitTimeout: 1 });
		expect(out.json).toMatchObject({ status: 'Pending', waitTimedOut: true });
		expect(String(out.json.hint)).toMatch(/still queued/);
		expect(out.binary).toBeUndefined();
	});

	it('continueOnFail: a failing item becomes an error item, the others still run; pairedItem kept', async () => {
		storeOf(emu).setLiveResponseFile('C:\\ok.txt', 0, 'ok');
		storeOf(emu).setLiveResponseFile('D:\\disk.vhdx', 5 * 1024 ** 3);
		const out = await run(
			emu,
			{ operation: 'getFile', machineId: machine(), path: '={{ $json.path }}' },
			{ continueOnFail: true, items: [{ json: { path: 'D:\\disk.vhdx' } }, { json: { path: 'C:\\ok.txt' } }] },
		);
		expect(out).toHaveLength(2);
		expect(out[1].pairedItem).toEqual({ item: 1 });
		expect((await readBinary(out[1].binary!.data)).toString()).toBe('ok');
		expect(out[0].pairedItem).toEqual({ item: 0 });
		expect(String(out[0].json.error)).toMatch(/3 GB/);
		expect(out[0].binary).toBeUndefined();
	});

	it('permissions: without Machine.LiveResponse the 403 names the permission to grant', async () => {
		const error = await runError({ operation: 'getFile', machineId: machine(), path: 'C:\\x.txt' }, { app: 'readonly' });
		expect(error.httpCode).toBe('403');
		expect(error.message).toMatch(/Machine\.LiveResponse/);
	});

	it('AI agents: Live Response is destructive and refused unless allowed on the node', async () => {
		const error = await runError({ operation: 'getFile', machineId: machine(), path: 'C:\\x.txt' }, { nodeType: 'n8n-nodes-microsoft-defender.microsoftDefenderTool' });
		expect(error.message).toMatch(/changes your tenant/);
		expect(apiCalls(emu)).toHaveLength(0);
	});
});
