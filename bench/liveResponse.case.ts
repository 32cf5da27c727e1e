/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals */
/**
 * Live Response → Get File of a 100 MB file: does the node hold the file in memory? The node runs
 * with n8n-core's real BinaryDataService in filesystem mode (what n8n uses for large binaries);
 * the baseline is axios doing the same API calls and streaming the download to a file.
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

import { resetTransportState } from '../nodes/MicrosoftDefender/transport';
import {
	runNodeWithCoreBinary,
	startCoreBinary,
	type CoreBinary,
} from '../test/unit/n8nBinary.helpers';
import type { CaseDef, CaseEnv, Row } from './cases';
import { memoryRows, rawToken, SCOPES, sleep } from './lib';
import { MicrosoftDefender } from './nodes';

const SIZE = (q: boolean) => (q ? 10 : 100) * 2 ** 20;
const PATH = 'C:\\Evidence\\memory.dmp';
const MACHINE = (env: CaseEnv) => String(env.state.machineId ?? '');
const node = new MicrosoftDefender();

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
	const t0 = process.hrtime.bigint();
	const value = await fn();
	return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

/** The emulator's first machine (always Windows 11, Active). */
async function machineOf(env: CaseEnv): Promise<string> {
	const token = await rawToken(env.client, env.url, SCOPES.mde);
	const res = await env.client.get(`${env.url}/api/machines?$top=1`, {
		headers: { Authorization: `Bearer ${token}` },
	});
	return String((res.data as { value: Array<{ id: string }> }).value[0].id);
}

let binary: CoreBinary | undefined;

export function liveResponseCase(mode: 'filesystem' | 'default'): CaseDef {
	return {
		name: mode === 'filesystem' ? 'live-response-getfile' : 'live-response-getfile-memory',
		title: (q) =>
			`Live Response Get File, ${SIZE(q) / 2 ** 20} MB file into n8n binary data (${mode === 'filesystem' ? 'filesystem' : 'in-memory "default"'} mode)`,
		emulator: () => ({
			sizes: { machines: 5, alerts: 10, incidents: 2, huntingRows: 10 },
			quotas: false,
			actionTiming: { pendingMs: 200, inProgressMs: 200 },
		}),
		runs: (q) => (q ? 1 : 3),
		warmups: () => 0,
		memory: true,
		method:
			`Node: Live Response → Get File (poll interval 1 s) run through the test harness with n8n-core 1.122.48's BinaryDataService in ${mode} mode ` +
			"and its prepareBinaryData (n8n's own code), against the emulator serving the file as a stream. " +
			'Baseline: axios, the same calls (token, runliveresponse, poll every 1 s, result link) and the download streamed to a file with stream.pipeline. ' +
			'Peak RSS from process.resourceUsage().maxRSS in a fresh process per side; "growth" = peak minus the RSS just before the run. ' +
			"Each run checks the stored file's size.",
		async beforeRun(env) {
			resetTransportState();
			env.state.machineId ??= await machineOf(env);
			await env.control.store('setLiveResponseFile', [PATH, SIZE(env.quick)]);
			binary?.close();
			binary = await startCoreBinary(mode);
		},
		async node(env) {
			const { ms, value } = await timed(() =>
				runNodeWithCoreBinary(node, {
					parameters: {
						resource: 'liveResponse',
						operation: 'getFile',
						machineId: { __rl: true, mode: 'id', value: MACHINE(env) },
						path: PATH,
						pollInterval: 1,
					},
					credentials: env.credentials,
				}),
			);
			const item = value[0][0];
			if (!item.binary?.data) throw new Error(`no binary data: ${JSON.stringify(item.json)}`);
			const stored = item.binary.data.id
				? (await binary!.service.getMetadata(item.binary.data.id)).fileSize
				: Buffer.byteLength(item.binary.data.data, 'base64');
			if (stored !== SIZE(env.quick)) throw new Error(`stored ${stored} bytes`);
			return { ms, fileBytes: stored };
		},
		async baseline(env) {
			const dir = mkdtempSync(join(tmpdir(), 'lr-baseline-'));
			try {
				const { ms, value } = await timed(async () => {
					const token = await rawToken(env.client, env.url, SCOPES.mde);
					const auth = { Authorization: `Bearer ${token}` };
					const post = await env.client.post(
						`${env.url}/api/machines/${MACHINE(env)}/runliveresponse`,
						{
							Comment: 'bench',
							Commands: [{ type: 'GetFile', params: [{ key: 'Path', value: PATH }] }],
						},
						{ headers: auth },
					);
					const id = String((post.data as { id: string }).id);
					for (;;) {
						await sleep(1000);
						const a = (
							await env.client.get(`${env.url}/api/machineactions/${id}`, { headers: auth })
						).data as { status: string };
						if (a.status === 'Succeeded') break;
						if (['Failed', 'TimeOut', 'Cancelled'].includes(a.status)) throw new Error(a.status);
					}
					const link = (
						await env.client.get(
							`${env.url}/api/machineactions/${id}/GetLiveResponseResultDownloadLink(index=0)`,
							{ headers: auth },
						)
					).data as { value: string };
					const file = await env.client.get(link.value, { responseType: 'stream' });
					const target = join(dir, 'memory.dmp');
					await pipeline(file.data as NodeJS.ReadableStream, createWriteStream(target));
					return statSync(target).size;
				});
				if (value !== SIZE(env.quick)) throw new Error(`baseline stored ${value} bytes`);
				return { ms, fileBytes: value };
			} finally {
				rmSync(dir, { recursive: true, force: true });
			}
		},
		rows(r, quick) {
			const MiB = 2 ** 20;
			const size = SIZE(quick);
			const t = r.timing;
			const rows: Row[] = [
				{ metric: 'file size', values: [size / MiB], unit: 'MiB' },
				{
					metric: 'wall time, node (includes ≥ 1 s status polls)',
					values: t['node.ms'] ?? [],
					unit: 'ms',
				},
				{ metric: 'wall time, baseline', values: t['baseline.ms'] ?? [], unit: 'ms' },
			];
			rows.push(
				...memoryRows(r, {
					bytes: size,
					what: 'file size',
					...(mode === 'filesystem' && { target: { max: 0.5, text: '≤ 0.5 (median): streamed, never held whole' } }),
				}),
			);
			return rows;
		},
	};
}
